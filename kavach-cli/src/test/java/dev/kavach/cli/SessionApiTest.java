package dev.kavach.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.FileEntry;
import dev.kavach.api.SandboxStateException;
import dev.kavach.core.Kavach;
import dev.kavach.core.KavachOptions;
import dev.kavach.core.Session;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The Java session API end to end through the built-in process backend (issue 12 §6): what the README shows. */
class SessionApiTest {
    @TempDir
    Path dir;

    @Test
    void aSessionKeepsStateUntilKavachClosesIt() {
        Session session;
        try (Kavach kavach = Kavach.create(KavachOptions.builtIn().withWorkingDirectory(dir).withOverride("kavach.policy.transfer-limit", "1M"))) {
            session = kavach.openSession("process");
            assertEquals(1L << 20, session.policy().transferLimitBytes(), "the session runs under the configured policy");
            session.put("in.txt", "hello".getBytes(StandardCharsets.UTF_8));
            session.exec(ExecRequest.of("sh", "-c", "tr a-z A-Z < in.txt > out.txt"));
            assertEquals("HELLO", session.exec(ExecRequest.of("cat", "out.txt")).stdoutText());
            assertEquals(List.of("in.txt", "out.txt"), session.list("").stream().map(FileEntry::name).toList());
        }
        assertFalse(session.isOpen(), "closing Kavach closed the session");
        assertThrows(SandboxStateException.class, () -> session.getBytes("out.txt"));
    }
}
