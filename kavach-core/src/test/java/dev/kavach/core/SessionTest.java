package dev.kavach.core;

import dev.kavach.api.Capability;
import dev.kavach.api.CapabilityNotSupportedException;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.FileEntry;
import dev.kavach.api.FileInput;
import dev.kavach.api.OutputListener;
import dev.kavach.api.PolicyNotEnforceableException;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.SandboxException;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.SandboxSession;
import dev.kavach.api.SandboxStateException;
import dev.kavach.api.StreamOutput;
import dev.kavach.core.discovery.PluginBugException;
import dev.kavach.core.discovery.PluginCall;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The host side of sessions and file transfers: capability checks before anything starts, the session state machine, the policy rule. */
class SessionTest {
    @TempDir
    Path dir;

    /** A backend whose sessions keep files in memory and record every call. */
    static class MemoryBackend implements SandboxBackend {
        final List<String> calls = new ArrayList<>();
        RuntimeException getFailure;

        @Override
        public ExecResult exec(ExecRequest request, OutputListener listener) {
            calls.add("exec " + request.command().argv());
            return ExecResult.completed(0, StreamOutput.EMPTY, StreamOutput.EMPTY, Duration.ZERO);
        }

        @Override
        public SandboxSession openSession(SandboxPolicy policy) {
            calls.add("openSession");
            Map<String, byte[]> files = new TreeMap<>();
            return new SandboxSession() {
                @Override
                public ExecResult exec(ExecRequest request, OutputListener listener) {
                    calls.add("session exec " + request.command().argv());
                    return ExecResult.completed(0, StreamOutput.EMPTY, StreamOutput.EMPTY, Duration.ZERO);
                }

                @Override
                public void put(FileInput file) {
                    try (InputStream in = file.content().open()) {
                        files.put(file.path(), in.readAllBytes());
                    } catch (IOException e) {
                        throw new SandboxException("put failed: " + e.getMessage(), "none", e);
                    }
                }

                @Override
                public InputStream get(String path) {
                    if (getFailure != null) {
                        throw getFailure;
                    }
                    byte[] bytes = files.get(path);
                    if (bytes == null) {
                        throw new SandboxException("no file '" + path + "'", "put it first");
                    }
                    return new ByteArrayInputStream(bytes);
                }

                @Override
                public List<FileEntry> list(String directory) {
                    return files.entrySet().stream().map(e -> new FileEntry(e.getKey().replace('/', '_'), FileEntry.Type.FILE, e.getValue().length, 0644)).toList();
                }

                @Override
                public void close() {
                    calls.add("session close");
                }
            };
        }

        @Override
        public void close() {
            calls.add("close");
        }
    }

    private final List<Sandbox> closedSandboxes = new ArrayList<>();

    private Sandbox started(MemoryBackend backend, Capability... capabilities) {
        Sandbox sandbox = new Sandbox("mem", backend, PluginCall.builtIn(), SandboxPolicy.strict(), closedSandboxes::add, Set.of(capabilities));
        sandbox.start();
        return sandbox;
    }

    @Test
    void filesOnABackendWithoutTheCapabilityAreRefusedBeforeAnythingRuns() {
        MemoryBackend backend = new MemoryBackend();
        try (Sandbox sandbox = started(backend, Capability.SESSIONS)) {
            ExecRequest put = ExecRequest.of("cat", "x").withFiles(List.of(FileInput.of("x", new byte[]{1})));
            CapabilityNotSupportedException e = assertThrows(CapabilityNotSupportedException.class, () -> sandbox.exec(put));
            assertEquals("backend 'mem' does not support files in and out of a single exec (ExecRequest files and collect)", e.getMessage());
            assertEquals(Capability.FILES, e.capability());
            assertThrows(CapabilityNotSupportedException.class, () -> sandbox.exec(ExecRequest.of("ls").withCollect(List.of("*.txt")), OutputListener.NONE));
            assertEquals(List.of(), backend.calls);
            sandbox.exec(ExecRequest.of("ls"));
            assertEquals(List.of("exec [ls]"), backend.calls);
        }
    }

    @Test
    void filesOnABackendWithTheCapabilityReachIt() {
        MemoryBackend backend = new MemoryBackend();
        try (Sandbox sandbox = started(backend, Capability.FILES)) {
            sandbox.exec(ExecRequest.of("ls").withCollect(List.of("*.txt")));
            assertEquals(List.of("exec [ls]"), backend.calls);
        }
    }

    @Test
    void sessionsOnABackendWithoutTheCapabilityAreRefusedBeforeAnythingStarts() {
        MemoryBackend backend = new MemoryBackend();
        try (Sandbox sandbox = started(backend, Capability.FILES)) {
            CapabilityNotSupportedException e = assertThrows(CapabilityNotSupportedException.class, sandbox::openSession);
            assertTrue(e.getMessage().startsWith("backend 'mem' does not support sessions"), e.getMessage());
            assertEquals(List.of(), backend.calls);
        }
    }

    @Test
    void kavachRefusesASessionOfTheNoopBackendNamingIt() {
        try (Kavach kavach = Kavach.create(KavachOptions.builtIn().withWorkingDirectory(dir))) {
            CapabilityNotSupportedException e = assertThrows(CapabilityNotSupportedException.class, () -> kavach.openSession("noop"));
            assertEquals("noop", e.backendId());
            assertTrue(e.fix().contains("kavach backends"), e.fix());
        }
    }

    @Test
    void aSessionMovesFilesAndRunsUnderItsPolicy() throws IOException {
        MemoryBackend backend = new MemoryBackend();
        try (Sandbox sandbox = started(backend, Capability.SESSIONS, Capability.FILES);
             Session session = sandbox.openSession()) {
            assertEquals(SandboxPolicy.strict(), session.policy());
            session.put("a/b.txt", "hello".getBytes(StandardCharsets.UTF_8));
            session.put("./c", new ByteArrayInputStream(new byte[]{0, (byte) 0xff}), 0755);
            assertEquals("hello", new String(session.getBytes("a//b.txt"), StandardCharsets.UTF_8));
            assertArrayEquals(new byte[]{0, (byte) 0xff}, session.getBytes("c"));
            Path target = dir.resolve("copy.bin");
            session.get("c", target);
            assertArrayEquals(new byte[]{0, (byte) 0xff}, Files.readAllBytes(target));
            assertEquals(List.of("a_b.txt", "c"), session.list("").stream().map(FileEntry::name).toList());
            session.exec(ExecRequest.of("ls").withPolicy(session.policy().withTimeout(Duration.ofSeconds(3)).withOutputLimitBytes(10)));
            assertEquals(List.of("openSession", "session exec [ls]"), backend.calls);
        }
        assertEquals(List.of("openSession", "session exec [ls]", "session close", "close"), backend.calls);
    }

    @Test
    void aRequestWithoutAPolicyOfItsOwnRunsUnderTheSessions() {
        java.util.List<SandboxPolicy> seen = new ArrayList<>();
        MemoryBackend backend = new MemoryBackend() {
            @Override
            public SandboxSession openSession(SandboxPolicy policy) {
                SandboxSession inner = super.openSession(policy);
                return new SandboxSession() {
                    @Override
                    public ExecResult exec(ExecRequest request, OutputListener listener) {
                        seen.add(request.policy());
                        return inner.exec(request, listener);
                    }

                    @Override
                    public void put(FileInput file) {
                        inner.put(file);
                    }

                    @Override
                    public InputStream get(String path) {
                        return inner.get(path);
                    }

                    @Override
                    public List<FileEntry> list(String directory) {
                        return inner.list(directory);
                    }

                    @Override
                    public void close() {
                        inner.close();
                    }
                };
            }
        };
        try (Sandbox sandbox = started(backend, Capability.SESSIONS); Session session = sandbox.openSession(SandboxPolicy.minimal())) {
            session.exec(ExecRequest.of("ls").withTimeout(Duration.ofSeconds(7)));
            assertEquals(List.of(SandboxPolicy.minimal()), seen, "the session's policy, not the sandbox's configured strict one");
        }
    }

    @Test
    void aRequestWhoseSandboxWidePolicyDiffersIsRefusedNamingTheField() {
        MemoryBackend backend = new MemoryBackend();
        try (Sandbox sandbox = started(backend, Capability.SESSIONS); Session session = sandbox.openSession()) {
            PolicyNotEnforceableException e = assertThrows(PolicyNotEnforceableException.class,
                    () -> session.exec(ExecRequest.of("ls").withPolicy(SandboxPolicy.strict().withNetwork(true).withMemoryMiB(64))));
            assertTrue(e.getMessage().startsWith("the request's policy differs from its session's in memoryMiB 64 (the session has 512), "
                    + "network true (the session has false) on backend 'mem'"), e.getMessage());
            assertTrue(e.fix().contains("session.policy()"), e.fix());
            assertEquals(List.of("openSession"), backend.calls);
        }
    }

    @Test
    void aClosedSessionRefusesEverythingAndClosingTheSandboxClosesIt() {
        MemoryBackend backend = new MemoryBackend();
        Sandbox sandbox = started(backend, Capability.SESSIONS);
        Session session = sandbox.openSession(SandboxPolicy.basic());
        sandbox.close();
        assertFalse(session.isOpen());
        assertEquals(List.of("openSession", "session close", "close"), backend.calls);
        SandboxStateException e = assertThrows(SandboxStateException.class, () -> session.put("x", new byte[0]));
        assertEquals("cannot put in the session of backend 'mem': it is closed", e.getMessage());
        assertThrows(SandboxStateException.class, () -> session.get("x"));
        assertThrows(SandboxStateException.class, () -> session.list(""));
        assertThrows(SandboxStateException.class, () -> session.exec(ExecRequest.of("ls").withPolicy(SandboxPolicy.basic())));
        assertFalse(session.health().healthy());
        session.close(); // idempotent
        assertEquals(List.of("openSession", "session close", "close"), backend.calls);
        assertThrows(SandboxStateException.class, sandbox::openSession);
    }

    @Test
    void badPathsAreRefusedBeforeTheBackendSeesThem() {
        MemoryBackend backend = new MemoryBackend();
        try (Sandbox sandbox = started(backend, Capability.SESSIONS); Session session = sandbox.openSession()) {
            IllegalArgumentException up = assertThrows(IllegalArgumentException.class, () -> session.get("../etc/passwd"));
            assertTrue(up.getMessage().contains("contains '..'"), up.getMessage());
            assertThrows(IllegalArgumentException.class, () -> session.put("/etc/passwd", new byte[0]));
            assertThrows(IllegalArgumentException.class, () -> session.list("a/../.."));
        }
    }

    @Test
    void anUnexpectedExceptionFromTheBackendIsItsBug() {
        MemoryBackend backend = new MemoryBackend();
        backend.getFailure = new IllegalStateException("oops");
        try (Sandbox sandbox = started(backend, Capability.SESSIONS); Session session = sandbox.openSession()) {
            PluginBugException e = assertThrows(PluginBugException.class, () -> session.get("x"));
            assertTrue(e.getMessage().startsWith("get in a session of backend 'mem' threw java.lang.IllegalStateException: oops"), e.getMessage());
        }
    }
}
