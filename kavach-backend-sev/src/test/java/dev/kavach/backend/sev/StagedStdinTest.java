package dev.kavach.backend.sev;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.PolicyNotEnforceableException;
import dev.kavach.api.StdinSource;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A VM's stdin is read only up to what the guest can stage, so an endless input is refused, not read into the heap. */
class StagedStdinTest {
    @Test
    void anEndlessInputIsRefusedAfterReadingOneByteMoreThanTheGuestTakes() {
        ExecRequest endless = ExecRequest.of("cat").withStdin(StdinSource.of(Path.of("/dev/zero")));
        assertThatThrownBy(() -> StagedStdin.bounded(endless, 1024 * 1024, "vm", 4))
                .isInstanceOf(PolicyNotEnforceableException.class)
                .hasMessageContaining("more than 1048576 bytes")
                .hasMessageContaining("stages in guest memory");
    }

    @Test
    void aStreamWithinTheLimitArrivesWhole() {
        ExecRequest request = ExecRequest.of("cat").withStdin(StdinSource.of(InputStream.nullInputStream()));
        assertThat(StagedStdin.bounded(request, 16, "vm", 64).stdin()).isEmpty();
        ExecRequest bytes = ExecRequest.of("cat").withStdin(new byte[] {1, 2, 3});
        assertThat(StagedStdin.bounded(bytes, 3, "vm", 64).stdin()).containsExactly(1, 2, 3);
        assertThatThrownBy(() -> StagedStdin.bounded(bytes, 2, "vm", 64)).hasMessageContaining("stdin of 3 bytes");
    }
}
