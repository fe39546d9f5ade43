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

    /** "cannot read the WHAT FILE: why", with the why in words rather than the bare path NIO exceptions carry. */
    public static MeasurementException unreadable(String what, java.nio.file.Path file, java.io.IOException e) {
        String why = switch (e) {
            case java.nio.file.NoSuchFileException x -> "no such file";
            case java.nio.file.AccessDeniedException x -> "permission denied";
            default -> e.getMessage() == null || e.getMessage().equals(file.toString()) ? e.getClass().getSimpleName() : e.getMessage();
        };
        return new MeasurementException("cannot read the " + what + " " + file + ": " + why, e);
    }
}
