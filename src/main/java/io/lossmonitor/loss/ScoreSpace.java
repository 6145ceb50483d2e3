package io.lossmonitor.loss;

/** What a model's class scores are, and so how cross-entropy turns them into log-probabilities. */
public enum ScoreSpace {
    /** Unnormalised logits: {@code log_softmax}, as {@code F.cross_entropy} does. */
    LOGITS,
    /** Log-probabilities used as they are, as {@code F.nll_loss} does (they are not renormalised). */
    LOG_PROBABILITIES,
    /**
     * Probabilities (a softmax output): {@code max(log p, -100)}, BCELoss's clamp, so that a predicted 0 for the
     * true class costs 100 instead of infinity. Equivalent to
     * {@code F.nll_loss(torch.log(p).clamp(min=-100), y)}; rows must sum to 1 within a tolerance.
     */
    PROBABILITIES
}
