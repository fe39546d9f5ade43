package dev.kavach.backend.sev;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.PolicyNotEnforceableException;

import java.io.IOException;
import java.io.InputStream;
import java.util.OptionalLong;

/**
 * A VM task's stdin, read up to the most the guest stages in its RAM and no further: a larger (or endless)
 * input is refused with the limit rather than read whole into Kavach's memory first.
 */
final class StagedStdin {
    private StagedStdin() {
    }

    /** {@code request} with its stdin held as bytes, at most {@code maxBytes}; refused when there is more. */
    static ExecRequest bounded(ExecRequest request, long maxBytes, String backendId, long memoryMiB) {
        if (request.stdinSource().isEmpty()) {
            return request;
        }
        OptionalLong known = request.stdinSource().knownLength();
        if (known.isPresent() && known.getAsLong() > maxBytes) {
            throw tooLarge(known.getAsLong() + " bytes", backendId, memoryMiB);
        }
        try (InputStream in = request.stdinSource().open()) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
            if (bytes.length > maxBytes) {
                throw tooLarge("more than " + maxBytes + " bytes", backendId, memoryMiB);
            }
            return request.withStdin(bytes);
        } catch (IOException e) {
            throw new PolicyNotEnforceableException("cannot read the command's stdin: " + e.getMessage(),
                    "give a readable file or stream as stdin");
        }
    }

    private static PolicyNotEnforceableException tooLarge(String size, String backendId, long memoryMiB) {
        // stdin is staged in the guest's RAM (the task archive lands on a tmpfs) before the task starts.
        return new PolicyNotEnforceableException("stdin of " + size + " is more than the " + backendId
                + " backend stages in guest memory (a quarter of " + memoryMiB + " MiB)",
                "raise the policy's memory limit or pass less data on stdin");
    }
}
