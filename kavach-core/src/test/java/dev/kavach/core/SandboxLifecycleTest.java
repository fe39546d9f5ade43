package dev.kavach.core;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.SandboxException;
import dev.kavach.api.SandboxStateException;
import dev.kavach.api.StreamOutput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sandbox state machine: valid transitions work, invalid ones are refused, and the backend is released exactly once. */
class SandboxLifecycleTest {
    @TempDir
    Path dir;

    /** Records what the sandbox did to it. */
    static class RecordingBackend implements SandboxBackend {
        final List<String> calls = new ArrayList<>();
        RuntimeException startFailure;

        @Override
        public void start() {
            calls.add("start");
            if (startFailure != null) {
                throw startFailure;
            }
        }

        @Override
        public ExecResult exec(ExecRequest request) {
            calls.add("exec " + request.command().argv());
            return ExecResult.completed(0, StreamOutput.EMPTY, StreamOutput.EMPTY, Duration.ZERO);
        }

        @Override
        public void close() {
            calls.add("close");
        }
    }

    private final List<Sandbox> closedNotices = new ArrayList<>();

    private Sandbox sandbox(RecordingBackend backend) {
        return new Sandbox("rec", backend, dev.kavach.core.discovery.PluginCall.builtIn(), dev.kavach.api.SandboxPolicy.basic(), closedNotices::add,
                java.util.Set.of());
    }

    @Test
    void createStartExecClose() {
        RecordingBackend backend = new RecordingBackend();
        Sandbox sandbox = sandbox(backend);
        assertEquals(SandboxState.CREATED, sandbox.state());
        sandbox.start();
        assertEquals(SandboxState.STARTED, sandbox.state());
        sandbox.exec(ExecRequest.of("a"));
        sandbox.exec(ExecRequest.of("b"));
        sandbox.close();
        assertEquals(SandboxState.CLOSED, sandbox.state());
        assertEquals(List.of("start", "exec [a]", "exec [b]", "close"), backend.calls);
        assertEquals(List.of(sandbox), closedNotices);
    }

    @Test
    void execBeforeStartIsRefused() {
        RecordingBackend backend = new RecordingBackend();
        Sandbox sandbox = sandbox(backend);
        SandboxStateException e = assertThrows(SandboxStateException.class, () -> sandbox.exec(ExecRequest.of("a")));
        assertEquals("cannot exec in sandbox of backend 'rec': it is created but not started", e.getMessage());
        assertEquals(List.of(), backend.calls);
    }

    @Test
    void execAfterCloseIsRefusedAndCloseIsIdempotent() {
        RecordingBackend backend = new RecordingBackend();
        Sandbox sandbox = sandbox(backend);
        sandbox.start();
        sandbox.close();
        sandbox.close();
        SandboxStateException e = assertThrows(SandboxStateException.class, () -> sandbox.exec(ExecRequest.of("a")));
        assertEquals("cannot exec in sandbox of backend 'rec': it is closed", e.getMessage());
        assertEquals("open a new sandbox with Kavach.open", e.fix());
        assertThrows(SandboxStateException.class, sandbox::start);
        assertEquals(List.of("start", "close"), backend.calls, "closed exactly once");
        assertEquals(1, closedNotices.size());
    }

    @Test
    void startTwiceIsRefused() {
        Sandbox sandbox = sandbox(new RecordingBackend());
        sandbox.start();
        SandboxStateException e = assertThrows(SandboxStateException.class, sandbox::start);
        assertEquals("sandbox of backend 'rec' cannot start: it is started", e.getMessage());
    }

    @Test
    void failedStartReleasesTheBackendOnceAndRefusesExec() {
        RecordingBackend backend = new RecordingBackend();
        backend.startFailure = new IllegalStateException("no VM today");
        Sandbox sandbox = sandbox(backend);
        SandboxException e = assertThrows(SandboxException.class, sandbox::start);
        assertEquals("start of backend 'rec' threw java.lang.IllegalStateException: no VM today", e.getMessage());
        assertEquals(SandboxState.FAILED, sandbox.state());
        SandboxStateException refused = assertThrows(SandboxStateException.class, () -> sandbox.exec(ExecRequest.of("a")));
        assertEquals("cannot exec in sandbox of backend 'rec': it is failed to start (no VM today)", refused.getMessage());
        sandbox.close();
        assertEquals(SandboxState.CLOSED, sandbox.state());
        assertEquals(List.of("start", "close"), backend.calls, "released once, at the failed start");
    }

    @Test
    void kavachErrorsFromStartPassThroughUnwrapped() {
        RecordingBackend backend = new RecordingBackend();
        SandboxException original = new SandboxException("VM never booted", "check the console");
        backend.startFailure = original;
        assertSame(original, assertThrows(SandboxException.class, sandbox(backend)::start));
    }

    @Test
    void anErrorFromExecIsWrappedAsTheBackendsBugAndTheSandboxStaysUsable() {
        RecordingBackend backend = new RecordingBackend() {
            @Override
            public ExecResult exec(ExecRequest request) {
                throw new NoClassDefFoundError("com/acme/Missing");
            }
        };
        Sandbox sandbox = sandbox(backend);
        sandbox.start();
        SandboxException e = assertThrows(SandboxException.class, () -> sandbox.exec(ExecRequest.of("a")));
        assertEquals("exec of backend 'rec' threw java.lang.NoClassDefFoundError: com/acme/Missing", e.getMessage());
        assertEquals(SandboxState.STARTED, sandbox.state());
    }

    @Test
    void theJvmFailingIsNotAPluginBug() {
        RecordingBackend backend = new RecordingBackend() {
            @Override
            public ExecResult exec(ExecRequest request) {
                throw new OutOfMemoryError("simulated");
            }
        };
        Sandbox sandbox = sandbox(backend);
        sandbox.start();
        assertThrows(OutOfMemoryError.class, () -> sandbox.exec(ExecRequest.of("a")));
    }

    @Test
    void kavachCloseClosesOpenSandboxes() {
        Kavach kavach = Kavach.load(new KavachOptions(null, Map.of(), Map.of(), dir));
        Sandbox first = kavach.open("noop");
        Sandbox second = kavach.open("noop");
        second.close();
        kavach.close();
        assertEquals(SandboxState.CLOSED, first.state());
        assertThrows(SandboxStateException.class, () -> first.exec(ExecRequest.of("a")));
        SandboxStateException e = assertThrows(SandboxStateException.class, () -> kavach.open("noop"));
        assertEquals("this Kavach instance is closed", e.getMessage());
    }
}
