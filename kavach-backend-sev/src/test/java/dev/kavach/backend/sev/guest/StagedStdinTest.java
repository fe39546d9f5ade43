package dev.kavach.backend.sev.guest;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.PolicyNotEnforceableException;
import dev.kavach.api.StdinSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A VM's stdin is spooled to a file, only up to what the guest can stage, and the task archive is streamed
 * from there: an endless input is refused, a large one never sits in Kavach's heap.
 */
class StagedStdinTest {
    @TempDir
    Path dir;

    @Test
    void anEndlessInputIsRefusedAfterOneByteMoreThanTheGuestTakes() {
        ExecRequest endless = ExecRequest.of("cat").withStdin(StdinSource.of(Path.of("/dev/zero")));
        assertThatThrownBy(() -> StagedStdin.spool(endless, 1024 * 1024, "vm", 4, dir))
                .isInstanceOf(PolicyNotEnforceableException.class)
                .hasMessageContaining("more than 1048576 bytes")
                .hasMessageContaining("stages in guest memory");
    }

    @Test
    void aStreamIsSpooledToAFileOfKnownLengthAndBytesStayAsTheyAre() throws Exception {
        ExecRequest stream = ExecRequest.of("cat").withStdin(StdinSource.of(new ByteArrayInputStream("hello".getBytes())));
        ExecRequest spooled = StagedStdin.spool(stream, 16, "vm", 64, dir);
        assertThat(spooled.stdinSource().file()).contains(dir.resolve("stdin"));
        assertThat(spooled.stdinSource().knownLength()).hasValue(5);
        assertThat(Files.readString(dir.resolve("stdin"))).isEqualTo("hello");

        ExecRequest bytes = ExecRequest.of("cat").withStdin(new byte[] {1, 2, 3});
        assertThat(StagedStdin.spool(bytes, 3, "vm", 64, dir)).isSameAs(bytes);
        assertThatThrownBy(() -> StagedStdin.spool(bytes, 2, "vm", 64, dir)).hasMessageContaining("stdin of 3 bytes");
    }

    @Test
    void theArchiveStreamedFromTheSpoolEqualsTheOneBuiltInMemory() throws Exception {
        byte[] input = new byte[300_001];
        new java.util.Random(3).nextBytes(input);
        ExecRequest inMemory = ExecRequest.of("cat").withStdin(input);
        Path file = Files.write(dir.resolve("input"), input);
        ExecRequest spooled = StagedStdin.spool(ExecRequest.of("cat").withStdin(StdinSource.of(file)), 1 << 20, "vm", 64, dir);
        ByteArrayOutputStream streamed = new ByteArrayOutputStream();
        TaskArchive.encode(spooled, null, streamed);
        assertThat(streamed.toByteArray()).isEqualTo(TaskArchive.encode(inMemory, null));
    }
}
