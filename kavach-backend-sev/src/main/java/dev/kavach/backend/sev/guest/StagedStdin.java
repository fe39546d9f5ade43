package dev.kavach.backend.sev.guest;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.PolicyNotEnforceableException;
import dev.kavach.api.StdinSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.OptionalLong;

/**
 * A VM task's stdin, copied in chunks into a file of the exec's private directory, up to the most the guest
 * stages in its RAM and no further: the task archive is then streamed from that file, so that no stdin is held
 * in Kavach's memory, and a larger (or endless) input is refused with the limit.
 */
public final class StagedStdin {
    private StagedStdin() {
    }

    /**
     * {@code request} with its stdin spooled to {@code dir/stdin} (at most {@code maxBytes}), so that its length
     * is known; a request whose stdin is in memory already is returned as it is.
     */
    public static ExecRequest spool(ExecRequest request, long maxBytes, String backendId, long memoryMiB, Path dir) {
        StdinSource source = request.stdinSource();
        if (source instanceof StdinSource.Bytes bytes) {
            if (bytes.knownLength().orElseThrow() > maxBytes) {
                throw tooLarge(bytes.knownLength().orElseThrow() + " bytes", backendId, memoryMiB);
            }
            return request;
        }
        OptionalLong known = source.knownLength();
        if (known.isPresent() && known.getAsLong() > maxBytes) {
            throw tooLarge(known.getAsLong() + " bytes", backendId, memoryMiB);
        }
        Path file = dir.resolve("stdin");
        try (InputStream in = source.open(); OutputStream out = Files.newOutputStream(
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))))) {
            byte[] buffer = new byte[64 * 1024];
            long copied = 0;
            for (int n; (n = in.read(buffer)) >= 0; ) {
                copied += n;
                if (copied > maxBytes) {
                    throw tooLarge("more than " + maxBytes + " bytes", backendId, memoryMiB);
                }
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new PolicyNotEnforceableException("cannot read the command's stdin: " + e.getMessage(),
                    "give a readable file or stream as stdin");
        }
        return request.withStdin(StdinSource.of(file));
    }

    private static PolicyNotEnforceableException tooLarge(String size, String backendId, long memoryMiB) {
        // stdin is staged in the guest's RAM (the task archive lands on a tmpfs) before the task starts.
        return new PolicyNotEnforceableException("stdin of " + size + " is more than the " + backendId
                + " backend stages in guest memory (a quarter of " + memoryMiB + " MiB)",
                "raise the policy's memory limit or pass less data on stdin");
    }
}
