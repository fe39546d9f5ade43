package dev.kavach.backend.process;

import dev.kavach.api.BackendSettings;
import dev.kavach.api.Command;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.Outcome;
import dev.kavach.api.OutputListener;
import dev.kavach.api.PolicyNotEnforceableException;
import dev.kavach.api.SandboxException;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.SeccompProfile;
import dev.kavach.api.StdStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 9's reproductions against the process backend, each an attack by the sandboxed command on the
 * caller's terminal, on another sandbox, on the host or on Kavach's own report. Each failed before the
 * fix. CI runs them (the tag is for selecting, never excluded by default).
 */
@Tag("adversarial")
class AdversarialTest {
    private static ProcessSandboxBackend backend;

    @BeforeAll
    static void start() {
        backend = ProcessSandboxBackend.create(Sandboxes.DEFAULTS);
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    /** The presets, less the cgroup limits a non-root host cannot enforce, for the tests about everything else. */
    private static SandboxPolicy basic() {
        return Sandboxes.withoutUnenforceableLimits(SandboxPolicy.basic());
    }

    private static SandboxPolicy strict() {
        return Sandboxes.withoutUnenforceableLimits(SandboxPolicy.strict());
    }

    private static ExecResult python(SandboxPolicy policy, String program, String... args) {
        Sandboxes.requireTool("python3");
        List<String> argv = new ArrayList<>(List.of("python3", "-c", program));
        argv.addAll(List.of(args));
        return backend.exec(new ExecRequest(new Command.Argv(argv), null, Map.of(), null, policy, null));
    }

    private static String mechanism(ExecResult result, String limit) {
        return Sandboxes.mechanism(result, limit);
    }

    // 1. The caller's terminal -------------------------------------------------------------------------

    /** Opens /dev/tty and pushes {@code argv[1]} reversed into every terminal it can reach with TIOCSTI. */
    private static final String TIOCSTI = String.join("\n",
            "import os, sys, fcntl, termios",
            "text = sys.argv[1][::-1] + '\\n'",
            "fds = [0, 1, 2]",
            "try:",
            "    fds.append(os.open('/dev/tty', os.O_RDWR))",
            "    print('tty=opened')",
            "except OSError as e:",
            "    print('tty=errno%d' % e.errno)",
            "pushed = 0",
            "for fd in fds:",
            "    for ch in text:",
            "        try:",
            "            fcntl.ioctl(fd, termios.TIOCSTI, ch.encode())",
            "            pushed += 1",
            "        except OSError:",
            "            pass",
            "print('pushed=%d' % pushed)");

    /** Runs a Kavach JVM on a real pty (its controlling terminal) and returns everything the terminal showed. */
    private static final String ON_A_PTY = String.join("\n",
            "import os, pty, sys, select",
            "pid, fd = pty.fork()",
            "if pid == 0:",
            "    os.execvp(sys.argv[1], sys.argv[1:])",
            "out = b''",
            "while True:",
            "    r, _, _ = select.select([fd], [], [], 120)",
            "    if not r:",
            "        break",
            "    try:",
            "        data = os.read(fd, 65536)",
            "    except OSError:",
            "        break",
            "    if not data:",
            "        break",
            "    out += data",
            "os.waitpid(pid, 0)",
            "sys.stdout.write(out.decode('utf-8', 'replace'))");

    @Test
    void aCommandCannotReachTheCallersTerminalInAnyPreset() throws Exception {
        Sandboxes.requireBwrap();
        Sandboxes.requireTool("python3");
        for (String preset : SandboxPolicy.PRESETS) {
            String injected = "kavach-injected-" + UUID.randomUUID().toString().substring(0, 8);
            List<String> command = new ArrayList<>(List.of("python3", "-c", ON_A_PTY));
            command.addAll(SandboxedRun.javaCommand(preset, "python3", "-c", TIOCSTI, new StringBuilder(injected).reverse().toString()));
            Process terminal = new ProcessBuilder(command).redirectErrorStream(true).start();
            terminal.getOutputStream().close();
            String screen = new String(terminal.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(terminal.waitFor(120, TimeUnit.SECONDS));
            assertTrue(screen.contains("exit=0"), preset + ": the sandboxed command ran: " + screen);
            assertTrue(screen.contains("tty=errno6"), preset + ": no controlling terminal, /dev/tty fails with ENXIO: " + screen);
            assertTrue(screen.contains("pushed=0"), preset + ": nothing was pushed into any terminal: " + screen);
            assertFalse(screen.contains(injected), preset + ": the injected text reached the caller's terminal: " + screen);
        }
    }

    // 2. Sandboxes attack each other ------------------------------------------------------------------------

    /**
     * The attacker reads every visible environment, writes into /tmp, tries PTRACE_ATTACH on the victim's
     * host PID and every PID it can see, and sends SIGKILL to every process it may signal.
     */
    private static final String ATTACK = String.join("\n",
            "import os, sys, ctypes, glob, signal",
            "token, victim = sys.argv[1], int(sys.argv[2])",
            "seen = 0",
            "for path in glob.glob('/proc/[0-9]*/environ'):",
            "    try:",
            "        if token.encode() in open(path, 'rb').read():",
            "            seen += 1",
            "    except OSError:",
            "        pass",
            "print('environ-hits=%d' % seen)",
            "open('/tmp/victim-file', 'w').write('tampered')",
            "libc = ctypes.CDLL(None, use_errno=True)",
            "libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]",
            "attached = []",
            "# PID 1 is the attacker's own sandbox's init (bubblewrap's reaper, same uid, inside the same namespaces).",
            "for pid in [victim] + [int(p.split('/')[2]) for p in glob.glob('/proc/[0-9]*')]:",
            "    if pid not in (1, os.getpid()) and libc.ptrace(16, pid, None, None) == 0:",
            "        attached.append(pid)",
            "print('attached=%s' % attached)",
            "try:",
            "    os.kill(victim, signal.SIGKILL)",
            "    print('kill-victim=sent')",
            "except OSError as e:",
            "    print('kill-victim=errno%d' % e.errno)",
            "try:",
            "    os.kill(-1, signal.SIGKILL)",
            "except OSError:",
            "    pass",
            "print('done')");

    private static final String VICTIM = String.join("\n",
            "echo original > /tmp/victim-file",
            "echo ready",
            "sleep 8",
            "cat /tmp/victim-file",
            "printenv VICTIM_TOKEN >/dev/null && echo env-intact");

    @Test
    void concurrentSandboxesCannotSeeSignalTraceOrTamperWithEachOther() throws Exception {
        Sandboxes.requireBwrap();
        Sandboxes.requireTool("python3");
        // Without cgroups (a non-root Kavach) the limits are dropped: the isolation under test is the same.
        SandboxPolicy strict = Sandboxes.withoutUnenforceableLimits(SandboxPolicy.strict());
        attack(SandboxPolicy.minimal(), SandboxPolicy.minimal());
        attack(strict, SandboxPolicy.minimal());
        attack(SandboxPolicy.minimal(), strict);
    }

    private static void attack(SandboxPolicy victimPolicy, SandboxPolicy attackerPolicy) throws Exception {
        String token = "kavach-secret-" + UUID.randomUUID();
        String marker = "kavach-victim-" + UUID.randomUUID();
        CountDownLatch ready = new CountDownLatch(1);
        OutputListener listener = new OutputListener() {
            @Override
            public void onOutput(StdStream stream, byte[] data, int offset, int length) {
                if (new String(data, offset, length, StandardCharsets.UTF_8).contains("ready")) {
                    ready.countDown();
                }
            }
        };
        ExecRequest victimRequest = new ExecRequest(new Command.Argv(List.of("sh", "-c", VICTIM, marker)), null,
                Map.of("VICTIM_TOKEN", token), null, victimPolicy.withTimeout(Duration.ofSeconds(60)), null);
        CompletableFuture<ExecResult> victim = CompletableFuture.supplyAsync(() -> backend.exec(victimRequest, listener));
        assertTrue(ready.await(60, TimeUnit.SECONDS), "the victim started");
        List<Long> matches = Sandboxes.liveHostProcessesStartingWith("sh\0-c\0" + VICTIM.substring(0, 10), marker);
        // A child the shell just forked (for sleep) carries the same command line until it execs: take the parent.
        List<Long> victimPids = matches.stream().filter(pid -> ProcessHandle.of(pid).flatMap(ProcessHandle::parent)
                .map(parent -> !matches.contains(parent.pid())).orElse(true)).toList();
        assertEquals(1, victimPids.size(), "the victim's shell is visible to the host: " + matches);
        long victimPid = victimPids.get(0);

        ExecResult attacker = python(attackerPolicy, ATTACK, token, Long.toString(victimPid));
        String out = attacker.stdoutText();
        assertTrue(out.contains("done"), attacker.toString());
        assertTrue(out.contains("environ-hits=0"), "the victim's environment is out of reach: " + out);
        assertTrue(out.contains("attached=[]"), "no ptrace attach succeeded: " + out);
        assertTrue(out.contains("kill-victim=errno3"), "the victim's PID does not exist for the attacker (ESRCH): " + out);

        ExecResult result = victim.get(90, TimeUnit.SECONDS);
        assertEquals(Outcome.COMPLETED, result.outcome(), result.toString());
        assertEquals(0, result.exitCode(), "the victim was not killed: " + result);
        assertEquals("ready\noriginal\nenv-intact\n", result.stdoutText(), "its /tmp was not tampered with: " + result.stderrText());
    }

    @Test
    void concurrentSandboxesRunAsDifferentHostUsers() throws Exception {
        Sandboxes.requireBwrap();
        Sandboxes.requireRoot();
        List<CompletableFuture<ExecResult>> runs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            runs.add(CompletableFuture.supplyAsync(() -> backend.exec(Sandboxes.sh("id -u; sleep 1", SandboxPolicy.minimal()))));
        }
        List<String> uids = new ArrayList<>();
        for (CompletableFuture<ExecResult> run : runs) {
            uids.add(run.get(60, TimeUnit.SECONDS).stdoutText().strip());
        }
        assertEquals(4, uids.stream().distinct().count(), "each concurrent sandbox has a uid of its own: " + uids);
        uids.forEach(uid -> assertTrue(Sandboxes.isSandboxUid(Long.parseLong(uid)), uid));
    }

    @Test
    void sandboxIdsAreSharedSafelyBetweenKavachProcessesAndComeBackWhenTheOwnerDies(@TempDir Path locks) throws Exception {
        ProcessBackendSettings.IdRange two = new ProcessBackendSettings.IdRange(3_000_000, 2);
        // Another Kavach process holds id 3000000 with the same kind of lock (a POSIX record lock from a second JVM).
        SandboxIds mine = new SandboxIds(locks, two);
        Process other = otherJvmHolding(locks.resolve("3000000.lock"));
        try {
            SandboxIds.Lease lease = mine.take();
            assertEquals(3_000_001, lease.id(), "the id another live process holds is skipped");
            SandboxException full = assertThrows(SandboxException.class, mine::take);
            assertTrue(full.getMessage().contains("id-range") && full.fix().contains("widen"), full.getMessage());
            lease.close();
            other.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            List<Integer> both = List.of(mine.take().id(), mine.take().id());
            assertTrue(both.containsAll(List.of(3_000_000, 3_000_001)), "a dead owner's id is taken again: " + both);
        } finally {
            other.destroyForcibly();
        }
    }

    /** A second JVM that takes an fcntl lock on {@code file} (as {@link SandboxIds} does) and then waits. */
    private static Process otherJvmHolding(Path file) throws IOException, InterruptedException {
        Path source = Files.createTempFile("kavach-lock-holder", ".java");
        Files.writeString(source, "import java.nio.channels.*; import java.nio.file.*;\n"
                + "public class Holder { public static void main(String[] a) throws Exception {\n"
                + "  FileChannel c = FileChannel.open(Path.of(a[0]), StandardOpenOption.CREATE, StandardOpenOption.WRITE);\n"
                + "  c.lock(); System.out.println(\"locked\"); System.out.flush(); Thread.sleep(600_000); } }\n");
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process process = new ProcessBuilder(java, source.toString(), file.toString()).redirectErrorStream(true).start();
        byte[] line = process.getInputStream().readNBytes(7);
        Files.deleteIfExists(source);
        assertEquals("locked\n", new String(line, StandardCharsets.UTF_8).replace("\r", "").substring(0, Math.min(7, line.length)),
                "the holder took its lock");
        return process;
    }

    @Test
    void minimalLeavesNothingInTheHostsSharedWritablePlacesNorSysvSharedMemory() throws IOException {
        Sandboxes.requireBwrap();
        Sandboxes.requireTool("ipcmk");
        String name = "kavach-leftover-" + UUID.randomUUID();
        List<Path> places = new ArrayList<>();
        for (String dir : List.of("/tmp", "/var/tmp", "/dev/shm", "/run/lock")) {
            if (Files.isDirectory(Path.of(dir))) {
                places.add(Path.of(dir, name));
            }
        }
        String script = "for p in " + String.join(" ", places.stream().map(Path::toString).toList()) + "; do echo x > $p && echo wrote; done; "
                + "ipcmk -M 4096 >/dev/null && echo shm; id -u";
        ExecResult result = backend.exec(Sandboxes.sh(script, SandboxPolicy.minimal()));
        List<String> lines = result.stdoutText().lines().toList();
        assertEquals(places.size(), lines.stream().filter("wrote"::equals).count(), "the writes succeeded inside: " + result);
        assertTrue(lines.contains("shm"), "a SysV segment was made inside: " + result);
        for (Path place : places) {
            assertFalse(Files.exists(place), place + " reached the host");
        }
        String uid = lines.get(lines.size() - 1);
        List<String> segments = Files.readAllLines(Path.of("/proc/sysvipc/shm")).stream().skip(1)
                .filter(line -> List.of(line.trim().split("\\s+")).contains(uid)).toList();
        if (Sandboxes.RUN_AS.perSandbox()) {
            assertEquals(List.of(), segments, "no SysV segment of the sandbox's uid outlives it");
        }
    }

    // 3. Secrets on the command line --------------------------------------------------------------------------

    @Test
    void theEnvironmentIsInNoLauncherProcesssArgv() throws Exception {
        Sandboxes.requireBwrap();
        String token = "kavach-argv-secret-" + UUID.randomUUID();
        String marker = "kavach-argv-" + UUID.randomUUID();
        ExecRequest request = new ExecRequest(new Command.Argv(List.of("sh", "-c", "echo started; sleep 3", marker)), null,
                Map.of("API_TOKEN", token), null, Sandboxes.withoutUnenforceableLimits(SandboxPolicy.basic()), null);
        AtomicBoolean done = new AtomicBoolean();
        CompletableFuture<ExecResult> run = CompletableFuture.supplyAsync(() -> {
            try {
                return backend.exec(request);
            } finally {
                done.set(true);
            }
        });
        int scans = 0;
        boolean sawTheCommand = false;
        List<String> leaks = new ArrayList<>();
        while (!done.get()) {
            // Every process on the host, the launcher shell, setpriv and bubblewrap among them, as ps shows them.
            try (var dirs = Files.list(Path.of("/proc"))) {
                for (Path dir : dirs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                    try {
                        String cmdline = new String(Files.readAllBytes(dir.resolve("cmdline")), StandardCharsets.UTF_8);
                        sawTheCommand |= cmdline.contains(marker);
                        if (cmdline.contains(token)) {
                            leaks.add(dir.getFileName() + ": " + cmdline.replace('\0', ' '));
                        }
                    } catch (IOException e) {
                        // exited meanwhile
                    }
                }
            }
            scans++;
        }
        ExecResult result = run.get();
        assertEquals("started\n", result.stdoutText(), result.toString());
        assertTrue(sawTheCommand, "the scan ran while the sandbox lived (" + scans + " scans)");
        assertEquals(List.of(), leaks, "the secret appeared in a process's argv");
    }

    // 4. The default preset is airtight ---------------------------------------------------------------------------

    @Test
    void basicForbidsNestedUserNamespacesIoUringAndVsock() {
        Sandboxes.requireBwrap();
        Sandboxes.requireTool("unshare");
        ExecResult unshare = backend.exec(Sandboxes.sh("unshare -rn true 2>/dev/null; echo unshare=$?", basic()));
        assertEquals("unshare=1\n", unshare.stdoutText(), unshare.toString());
        String program = String.join("\n",
                "import ctypes, socket",
                "libc = ctypes.CDLL(None, use_errno=True)",
                "params = ctypes.create_string_buffer(120)",
                "r = libc.syscall(425, 8, params)",
                "print('io_uring=%s' % ('errno%d' % ctypes.get_errno() if r < 0 else 'allowed'))",
                "try:",
                "    socket.socket(40, socket.SOCK_STREAM)",
                "    print('vsock=allowed')",
                "except OSError as e:",
                "    print('vsock=errno%d' % e.errno)",
                "r = libc.syscall(272, 0x10000000)",
                "print('newuser=%s' % ('errno%d' % ctypes.get_errno() if r < 0 else 'allowed'))");
        ExecResult control = python(SandboxPolicy.minimal(), program);
        assertTrue(control.stdoutText().contains("io_uring=allowed") || control.stdoutText().contains("io_uring=errno"), control.toString());
        ExecResult basic = python(basic(), program);
        assertEquals("io_uring=errno1\nvsock=errno97\nnewuser=errno1\n", basic.stdoutText(), basic.toString());
        assertTrue(mechanism(basic, "namespaces").contains("--disable-userns"), mechanism(basic, "namespaces"));
    }

    @Test
    void basicWritesReachOnlyTheWorkdirAndNothingPersists(@TempDir Path workdir) throws IOException {
        Sandboxes.requireBwrap();
        // A host directory anyone may write (like a shared home or /var/tmp), outside the private ones.
        Path shared = Sandboxes.hostDir("kavach-shared-home-");
        try {
            Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
            String name = "kavach-persist-" + UUID.randomUUID();
            String script = "echo x > /var/tmp/" + name + " && echo vartmp=written; echo x > $HOME/.bashrc 2>/dev/null && echo home=written "
                    + "|| echo home=denied; echo x > out && echo workdir=written";
            ExecRequest request = Sandboxes.sh(script, basic()).withEnv(Map.of("HOME", shared.toString()))
                    .withWorkdir(Sandboxes.giveToSandbox(workdir).toString());
            ExecResult control = backend.exec(request.withPolicy(SandboxPolicy.minimal()));
            assertTrue(control.stdoutText().contains("home=written"), "control: a writable root reaches it: " + control);
            Files.deleteIfExists(shared.resolve(".bashrc"));
            Files.deleteIfExists(workdir.resolve("out")); // the control's own uid owns it: the next sandbox may not overwrite it
            ExecResult basic = backend.exec(request);
            assertEquals("vartmp=written\nhome=denied\nworkdir=written\n", basic.stdoutText(), basic.toString());
            assertFalse(Files.exists(Path.of("/var/tmp", name)), "/var/tmp is private");
            assertFalse(Files.exists(shared.resolve(".bashrc")), "the read-only root keeps $HOME");
            assertTrue(Files.exists(workdir.resolve("out")));
        } finally {
            dev.kavach.api.process.OwnedDirectory.deleteTree(shared);
        }
    }

    @Test
    void privateTmpAndTheScratchWorkdirAreSizeCapped() {
        Sandboxes.requireBwrap();
        ProcessBackendSettings small = ProcessBackendSettings.from(BackendSettings.of("kavach.backends.process", Map.of("scratch-size", "8M")));
        try (ProcessSandboxBackend capped = ProcessSandboxBackend.create(small)) {
            for (String target : List.of("/tmp/big", "/var/tmp/big", "/dev/shm/big", "big")) {
                for (SandboxPolicy policy : List.of(basic(), strict())) {
                    ExecResult result = capped.exec(Sandboxes.sh("dd if=/dev/zero of=" + target + " bs=1M count=16 2>/dev/null; "
                            + "echo dd=$?; wc -c < " + target, policy));
                    List<String> lines = result.stdoutText().lines().toList();
                    assertEquals("dd=1", lines.get(0), target + ": " + result);
                    assertTrue(Long.parseLong(lines.get(1).strip()) <= 8L << 20, target + " holds at most 8 MiB: " + lines);
                }
            }
            ExecResult scratch = capped.exec(Sandboxes.sh("true", strict()));
            assertTrue(mechanism(scratch, "disk").contains("capped at 8 MiB"), mechanism(scratch, "disk"));
        }
    }

    @Test
    void basicHasDefaultMemoryPidsAndFileSizeBoundsThatBite() throws Exception {
        Sandboxes.requireBwrap();
        Sandboxes.requireRootCgroups("memory", "pids");
        SandboxPolicy basic = SandboxPolicy.basic();
        assertTrue(basic.memoryMiB() > 0 && basic.maxPids() > 0 && basic.maxFileSizeBytes() > 0 && basic.readOnlyRoot(), basic.toString());
        String marker = "kavach-basic-bomb-" + UUID.randomUUID();
        ExecResult bomb = backend.exec(new ExecRequest(new Command.Argv(List.of("sh", "-c", "b() { b | b & }; b; sleep 1000", marker)),
                null, Map.of(), null, basic.withTimeout(Duration.ofSeconds(5)), null));
        assertEquals(Outcome.TIMED_OUT, bomb.outcome());
        assertTrue(mechanism(bomb, "pids").contains("pids.max=" + basic.maxPids()), mechanism(bomb, "pids"));
        assertEquals(List.of(), Sandboxes.liveHostProcessesWith(marker), "every bomb process is gone");
        ExecResult hog = backend.exec(Sandboxes.sh("python3 -c \"x = bytearray(3 * 1024 * 1024 * 1024); print('survived')\"", basic));
        assertEquals(Outcome.KILLED, hog.outcome(), hog.toString());
        assertFalse(hog.stdoutText().contains("survived"));
        assertTrue(mechanism(hog, "memory").contains(Long.toString(basic.memoryMiB() << 20)), mechanism(hog, "memory"));
    }

    // 5. Kavach's report cannot be forged ---------------------------------------------------------------------------

    @Test
    void launcherLookingStderrAndExit125AreTheCommandsOwnResult() {
        Sandboxes.requireBwrap();
        for (String preset : List.of("minimal", "basic")) {
            ExecResult result = backend.exec(Sandboxes.sh("echo 'kavach-launcher: cannot join cgroup /x' >&2; "
                    + "echo 'launcher: forged' >&5 2>/dev/null; echo '{ \"exit-code\": 7 }' >&2; exit 125",
                    Sandboxes.withoutUnenforceableLimits(SandboxPolicy.preset(preset))));
            assertEquals(125, result.exitCode(), preset + ": " + result);
            assertEquals(Outcome.COMPLETED, result.outcome());
            assertTrue(result.stderrText().contains("kavach-launcher: cannot join cgroup /x"), result.stderrText());
        }
    }

    @Test
    void aLauncherFailureIsKavachsErrorNotTheCommandsExit(@TempDir Path dir) throws IOException {
        Sandboxes.requireBwrap();
        // A "bubblewrap" that fails before making any sandbox, as a real one does on a bad option or a full process table.
        Path fake = Files.writeString(dir.resolve("bwrap"), "#!/bin/sh\necho 'bwrap: Creating new namespace failed: No space left on device' >&2\nexit 1\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        HostFacts real = Sandboxes.FACTS;
        HostFacts facts = new HostFacts(real.shell(), Optional.of(fake), real.bwrapVersion(), true, "", real.setpriv(), false, real.root(),
                real.userNamespaces(), real.cgroups(), real.seccomp(), real.x86_64());
        try (ProcessSandboxBackend broken = new ProcessSandboxBackend(Sandboxes.DEFAULTS, facts)) {
            SandboxException e = assertThrows(SandboxException.class, () -> broken.exec(Sandboxes.argv(SandboxPolicy.minimal(), "true")));
            assertTrue(e.getMessage().contains("launcher failed before the command started"), e.getMessage());
            assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
        }
    }

    @Test
    void tooFewOpenFilesForTheLauncherAreRefusedUpFront() {
        Sandboxes.requireBwrap();
        PolicyNotEnforceableException e = assertThrows(PolicyNotEnforceableException.class,
                () -> backend.exec(Sandboxes.argv(SandboxPolicy.minimal().withMaxOpenFiles(3), "true")));
        assertTrue(e.getMessage().contains("max open files 3") && e.getMessage().contains("bubblewrap"), e.getMessage());
        assertTrue(e.fix().contains(Integer.toString(LaunchPlanner.MIN_OPEN_FILES)), e.fix());
        ExecResult enough = backend.exec(Sandboxes.sh("ulimit -n", SandboxPolicy.minimal().withMaxOpenFiles(LaunchPlanner.MIN_OPEN_FILES)));
        assertEquals(LaunchPlanner.MIN_OPEN_FILES + "\n", enough.stdoutText(), enough.toString());
    }

    @Test
    void ptraceTracemeDoesNotMakeKavachATracer() {
        Sandboxes.requireBwrap();
        String marker = "kavach-traceme-" + UUID.randomUUID();
        String program = "import ctypes, os\nctypes.CDLL(None).ptrace(0, 0, None, None)\nos.execv('/bin/sh', ['sh', '-c', 'echo exec-done', '"
                + marker + "'])";
        ExecResult result = python(SandboxPolicy.minimal().withTimeout(Duration.ofSeconds(20)), program);
        assertNotEquals(2687, result.exitCode(), result.toString());
        assertTrue(result.exitCode() >= 0 && result.exitCode() <= 255, "an exit status, not a stop status: " + result);
        assertEquals(List.of(), Sandboxes.liveHostProcessesWith(marker), "nothing stopped is left behind");
    }

    @Test
    void aSeccompKillIsReportedAsSuch() {
        Sandboxes.requireBwrap();
        // A 32-bit system call (int 0x80, getpid) from a 64-bit process: the filter's architecture check kills it.
        String program = String.join("\n",
                "import ctypes, mmap",
                "code = bytes([0xb8, 0x14, 0, 0, 0, 0xcd, 0x80, 0xc3])",
                "buf = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)",
                "buf.write(code)",
                "f = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(buf)))",
                "print('pid=%d' % f())");
        ExecResult control = python(basic().withSeccomp(SeccompProfile.NONE), program);
        ExecResult killed;
        if (control.stdoutText().startsWith("pid=")) {
            killed = python(basic(), program);
        } else {
            // This kernel runs no 32-bit system calls at all (ia32_emulation off: int 0x80 faults with SIGSEGV before any
            // filter sees it). The report of a SIGSYS death is then checked with the signal the filter would send.
            assertEquals(128 + 11, control.exitCode(), "control: " + control);
            killed = backend.exec(Sandboxes.sh("kill -SYS $$", basic()));
        }
        assertEquals(128 + 31, killed.exitCode(), killed.toString());
        assertEquals(Outcome.KILLED, killed.outcome());
        assertTrue(killed.detail().contains("SIGSYS") && killed.detail().contains("seccomp"), killed.detail());
        ExecResult unfiltered = backend.exec(Sandboxes.sh("kill -SYS $$", SandboxPolicy.minimal()));
        assertEquals(Outcome.COMPLETED, unfiltered.outcome(), "without a filter a SIGSYS is the command's own: " + unfiltered);
    }

    // 6. Nothing outlives Kavach ---------------------------------------------------------------------------------------

    @Test
    void killingKavachWithSigkillKillsItsSandboxesAndTheNextStartSweepsItsDirectory() throws Exception {
        Sandboxes.requireBwrap();
        for (String preset : List.of("minimal", "basic")) {
            String marker = "kavach-orphan-" + UUID.randomUUID();
            Process kavach = new ProcessBuilder(SandboxedRun.javaCommand(preset, "sh", "-c", "sleep 1000; :", marker))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            // The JVM's own argv holds the marker too: wait for the sandboxed shell itself.
            while (Sandboxes.liveHostProcessesStartingWith("sh\0-c\0sleep", marker).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertFalse(Sandboxes.liveHostProcessesStartingWith("sh\0-c\0sleep", marker).isEmpty(), preset + ": the sandboxed command started");
            List<Path> itsDirs = baseDirsOf(kavach.pid());
            assertEquals(1, itsDirs.size(), "its private directory exists: " + itsDirs);
            kavach.destroyForcibly(); // SIGKILL: no shutdown hook, no close()
            kavach.waitFor();
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!Sandboxes.liveHostProcessesWith(marker).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(List.of(), Sandboxes.liveHostProcessesWith(marker), preset + ": the command died with the Kavach that ran it");
            // A later start removes the dead owner's directory, and never a live one's (this JVM's backend).
            ProcessSandboxBackend.create(Sandboxes.DEFAULTS).close();
            assertFalse(Files.exists(itsDirs.get(0)), "the dead owner's directory was swept");
            assertEquals(1, baseDirsOf(ProcessHandle.current().pid()).size(), "this live JVM's own directory was kept");
        }
    }

    private static List<Path> baseDirsOf(long pid) throws IOException {
        try (var entries = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return entries.filter(p -> p.getFileName().toString().startsWith(ProcessSandboxBackend.BASE_DIR_PREFIX + pid + "-")).toList();
        }
    }

    @Test
    void timeoutsOfAnyLengthLeaveNothing() throws Exception {
        Sandboxes.requireBwrap();
        String marker = "kavach-short-" + UUID.randomUUID();
        List<Duration> timeouts = List.of(Duration.ofNanos(1), Duration.ofNanos(1000), Duration.ofMillis(1), Duration.ofMillis(2),
                Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(30), Duration.ofMillis(100));
        for (int round = 0; round < 3; round++) {
            for (Duration timeout : timeouts) {
                for (SandboxPolicy policy : List.of(SandboxPolicy.minimal(), SandboxPolicy.minimal().withNetwork(false))) {
                    ExecResult result = backend.exec(new ExecRequest(new Command.Argv(List.of("sh", "-c", "sleep 1000; :", marker)), null,
                            Map.of(), null, policy.withTimeout(timeout), null));
                    assertEquals(Outcome.TIMED_OUT, result.outcome(), timeout + ": " + result);
                }
            }
        }
        // Whatever was started must be gone once exec returned: no grace period is asserted here beyond a short settle.
        Thread.sleep(200);
        assertEquals(List.of(), Sandboxes.liveHostProcessesWith(marker), "a sandbox outlived its timeout");
    }

    // 7. Errors that name the real culprit ---------------------------------------------------------------------------

    @Test
    void maxUserNamespacesIsReadAsANumber() {
        HostFacts.Check allowed = HostFacts.userNamespaces(false, Optional.of("96364\n"), Optional.empty(), Optional.empty());
        assertTrue(allowed.ok());
        assertTrue(allowed.detail().contains("user.max_user_namespaces = 96364"), allowed.detail());
        HostFacts.Check nine = HostFacts.userNamespaces(false, Optional.of("9"), Optional.of("1"), Optional.empty());
        assertTrue(nine.ok() && nine.detail().contains("= 9,"), nine.detail());
        assertFalse(HostFacts.userNamespaces(true, Optional.of("0"), Optional.empty(), Optional.empty()).ok());
        assertFalse(HostFacts.userNamespaces(false, Optional.of("96364"), Optional.of("0"), Optional.empty()).ok());
        assertTrue(HostFacts.userNamespaces(true, Optional.of("96364"), Optional.of("0"), Optional.empty()).ok(), "root is not restricted");
    }
}
