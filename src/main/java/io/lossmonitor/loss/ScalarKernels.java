package io.lossmonitor.loss;

import io.lossmonitor.loss.LossInputException.Reason;

/** The exact scalar loops; the reference for {@code VectorKernels}. */
final class ScalarKernels implements Kernels {

    static final ScalarKernels INSTANCE = new ScalarKernels();

    private ScalarKernels() {
    }

    @Override
    public boolean allFinite(double[] x, int off, int n) {
        for (int c = 0; c < n; c++) {
            if (!Double.isFinite(x[off + c])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public double max(double[] x, int off, int n) {
        double m = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < n; c++) {
            m = Math.max(m, x[off + c]);
        }
        return m;
    }

    @Override
    public double finiteMax(double[] x, int off, int n) {
        double m = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < n; c++) {
            double v = x[off + c];
            if (!Double.isFinite(v)) {
                return Double.NaN;
            }
            m = Math.max(m, v);
        }
        return m;
    }

    @Override
    public double tail(double[] x, int off, int n, double m) {
        double sum = 0.0;
        int maxima = 0;
        for (int c = 0; c < n; c++) {
            double v = x[off + c];
            if (v < m) {
                sum += Math.exp(v - m);
            } else {
                maxima++;
            }
        }
        return sum + (maxima - 1);
    }

    @Override
    public void softmaxSums(double[] x, int off, int n, double m, double[] out) {
        double sum = 0.0;
        double moment = 0.0;
        int maxima = 0;
        for (int c = 0; c < n; c++) {
            double v = x[off + c];
            if (v < m) {
                double d = v - m;
                double e = Math.exp(d);
                sum += e;
                moment += e > 0 ? e * d : 0.0;
            } else {
                maxima++;
            }
        }
        out[0] = sum + (maxima - 1);
        out[1] = moment;
    }

    @Override
    public double targetTail(double[] x, int off, int n, int t) {
        double xt = x[off + t];
        double sum = 0.0;
        for (int c = 0; c < n; c++) {
            double v = x[off + c];
            if (!Double.isFinite(v)) {
                return Double.NaN;
            }
            if (c != t) {
                sum += Math.exp(v - xt);
            }
        }
        return sum;
    }

    @Override
    public double shifted(double[] x, int off, int n, double m, double[] w) {
        double sum = 0.0;
        for (int c = 0; c < n; c++) {
            sum += (w == null ? 1.0 : w[c]) * (m - x[off + c]);
        }
        return sum;
    }

    @Override
    public double bceLogitsRow(double[] x, int off, double[] t, int toff, int n, double[] w, double[] p,
                               double[] out, int outOff) {
        double sum = 0.0;
        for (int c = 0; c < n; c++) {
            double l = (w == null ? 1.0 : w[c])
                    * logitElement(c, x[off + c], t[toff + c], p == null ? 1.0 : p[c]);
            if (out != null) {
                out[outOff + c] = l;
            }
            sum += l;
        }
        return sum;
    }

    /** One unweighted BCE-with-logits element: {@code (1-t)·softplus(x) + p·t·softplus(-x)}. */
    static double logitElement(int index, double x, double t, double posWeight) {
        if (!Double.isFinite(x)) {
            throw new LossInputException(Reason.NON_FINITE_SCORE,
                    "input[" + index + "] = " + LogMath.describe(x) + " is not finite");
        }
        if (!Double.isFinite(t)) {
            throw new LossInputException(Reason.NON_FINITE_TARGET,
                    "target[" + index + "] = " + LogMath.describe(t) + " is not finite");
        }
        double negative = t == 1.0 ? 0.0 : (1.0 - t) * LogMath.softplus(x);
        double positive = t == 0.0 ? 0.0 : posWeight * t * LogMath.softplus(-x);
        return negative + positive;
    }
}
