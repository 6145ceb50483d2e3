package io.lossmonitor.cases;

/** A case line that is JSON but does not describe a loss computation (missing field, wrong type, bad shape). */
public final class CaseFormatException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public CaseFormatException(String message) {
        super(message);
    }
}
