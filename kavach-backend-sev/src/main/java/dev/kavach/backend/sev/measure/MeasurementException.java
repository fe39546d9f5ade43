package dev.kavach.backend.sev.measure;

/**
 * The launch measurement cannot be computed from these inputs: the reference implementation
 * (sev-snp-measure) refuses them too, or they could never describe a real launch. The message names the
 * input and says how to fix it.
 */
public final class MeasurementException extends RuntimeException {
    public MeasurementException(String message) {
        super(message);
    }

    public MeasurementException(String message, Throwable cause) {
        super(message, cause);
    }
}
