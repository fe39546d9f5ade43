package dev.kavach.attestation.snp;

import dev.kavach.api.StdinSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;

/**
 * Feeds a task's stdin into a digest chunk by chunk from its {@link StdinSource}, so that a large staged
 * input (the sev backend spools stdin to a file first) is never held whole in memory just to be hashed.
 */
final class StdinDigest {
    private StdinDigest() {
    }

    /**
     * Updates {@code digest} with {@code stdin}'s bytes, preceded by their count as a big-endian u64 when
     * {@code withLength}. A source whose length is not known before reading (a stream) is read whole first,
     * since the length comes before the bytes; a file that changes while it is hashed is an error.
     */
    static void update(MessageDigest digest, StdinSource stdin, boolean withLength) {
        if (withLength && stdin.knownLength().isEmpty()) {
            byte[] all = stdin.readAllBytes();
            digest.update(ByteBuffer.allocate(8).putLong(all.length).array());
            digest.update(all);
            return;
        }
        long expected = stdin.knownLength().orElse(-1);
        if (withLength) {
            digest.update(ByteBuffer.allocate(8).putLong(expected).array());
        }
        long read = 0;
        try (InputStream in = stdin.open()) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                digest.update(buffer, 0, n);
                read += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read stdin (" + stdin + ") to hash it: " + e.getMessage(), e);
        }
        if (withLength && read != expected) {
            throw new IllegalStateException("stdin (" + stdin + ") changed while it was hashed: " + expected + " bytes were announced, "
                    + read + " were read; keep the file unchanged until the task ran");
        }
    }
}
