package dev.kavach.api;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The streaming exec is the one a backend implements; the buffered one is built on it. */
class SandboxBackendExecTest {
    @Test
    void aBackendImplementingOnlyTheStreamingExecAnswersTheBufferedOne() {
        List<OutputListener> seen = new ArrayList<>();
        SandboxBackend backend = new SandboxBackend() {
            @Override
            public ExecResult exec(ExecRequest request, OutputListener listener) {
                seen.add(listener);
                return ExecResult.Builder.completed(4).build();
            }

            @Override
            public void close() {
            }
        };
        assertEquals(4, backend.exec(ExecRequest.of("x")).exitCode());
        assertEquals(List.of(OutputListener.NONE), seen, "the buffered exec streams to no listener and keeps the output in the result");
    }

    @Test
    void aBackendImplementingNeitherFailsWithTheFixInsteadOfOverflowingTheStack() {
        SandboxBackend backend = new SandboxBackend() {
            @Override
            public void close() {
            }
        };
        AbstractMethodError error = assertThrows(AbstractMethodError.class, () -> backend.exec(ExecRequest.of("x")));
        assertTrue(error.getMessage().contains("implements exec(ExecRequest, OutputListener)"), error.getMessage());
        assertThrows(AbstractMethodError.class, () -> backend.exec(ExecRequest.of("x"), OutputListener.NONE));
    }
}
