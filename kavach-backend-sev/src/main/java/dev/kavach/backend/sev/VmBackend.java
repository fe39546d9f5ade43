package dev.kavach.backend.sev;

import dev.kavach.backend.sev.guest.AgentStatus;
import dev.kavach.backend.sev.guest.DropExecProgram;
import dev.kavach.backend.sev.guest.GuestBoot;
import dev.kavach.backend.sev.guest.StagedStdin;
import dev.kavach.backend.sev.guest.TaskArchive;
import dev.kavach.backend.sev.guest.VmChannels;
import dev.kavach.backend.sev.qemu.Accel;
import dev.kavach.backend.sev.qemu.QemuArgs;
import dev.kavach.backend.sev.qemu.QemuBinary;
import dev.kavach.backend.sev.qemu.QemuLauncher;
import dev.kavach.backend.sev.qemu.QemuUidLease;
import dev.kavach.backend.sev.snp.ExecAttestor;
import dev.kavach.backend.sev.snp.SnpGuestPolicy;
import dev.kavach.backend.sev.snp.SnpLaunch;

import dev.kavach.api.Attestation;
import dev.kavach.api.Enforcement;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.Health;
import dev.kavach.api.OutputListener;
import dev.kavach.api.Outcome;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.SandboxException;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.SandboxSession;
import dev.kavach.api.SandboxStateException;
import dev.kavach.api.StreamOutput;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.util.Objects.requireNonNull;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code vm} and {@code sev} backends: one fresh QEMU VM per exec, booted straight into the Kavach
 * guest agent, which runs the command and returns stdout, stderr and the exit code on virtio-serial
 * ports of their own. With {@link SnpLaunch} parameters the VM is an SEV-SNP confidential guest and, per
 * exec, the agent returns an attestation report bound to a fresh nonce and the task, verified here before
 * the result is returned.
 */
public final class VmBackend implements SandboxBackend {
    private static final Logger LOG = LoggerFactory.getLogger(VmBackend.class);

    private static final SecureRandom RANDOM = new SecureRandom();

    /** The SNP half of a backend: launch parameters, without the per-exec host data, and the attestor. */
    public record Snp(SnpGuestPolicy policy, int cbitpos, int reducedPhysBits, Path firmware, Path sevDevice, boolean kernelHashes,
                      long guestFeatures, Optional<Long> vcpuSignature, ExecAttestor attestor) {
        public Snp {
            requireNonNull(policy, "policy is null");
            requireNonNull(firmware, "firmware is null");
            requireNonNull(sevDevice, "sevDevice is null");
            requireNonNull(vcpuSignature, "vcpuSignature is null");
            requireNonNull(attestor, "attestor is null");
        }

        /** With upstream QEMU's guest features (0x1) and the signature of the {@code -cpu} model. */
        public Snp(SnpGuestPolicy policy, int cbitpos, int reducedPhysBits, Path firmware, Path sevDevice, boolean kernelHashes, ExecAttestor attestor) {
            this(policy, cbitpos, reducedPhysBits, firmware, sevDevice, kernelHashes,
                    dev.kavach.backend.sev.measure.MeasurementInputs.DEFAULT_GUEST_FEATURES, Optional.empty(), attestor);
        }

        SnpLaunch launch(byte[] hostData) {
            return new SnpLaunch(policy, cbitpos, reducedPhysBits, hostData, firmware, sevDevice, kernelHashes, guestFeatures, vcpuSignature);
        }
    }

    private final String id;
    private final VmSettings settings;
    private final Accel accel;
    private final GuestBoot boot;
    private final Optional<Snp> snp;
    private final Path socketRoot;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final LaunchMeasurer measurer = new LaunchMeasurer();
    private final SessionGuests sessions;
    private final VmPoolSettings poolSettings;
    private VmPool pool;
    private final java.util.Set<Thread> running = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.Set<VmSession> openSessions = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public VmBackend(String id, VmSettings settings, Accel accel, GuestBoot boot, Optional<Snp> snp, Path socketRoot) {
        this(id, settings, accel, boot, snp, socketRoot, new VmPoolSettings(0, Duration.ofMinutes(10)));
    }

    /** With a pool of warm guests for execs outside a session ({@code poolSettings.size()} 0: none). */
    VmBackend(String id, VmSettings settings, Accel accel, GuestBoot boot, Optional<Snp> snp, Path socketRoot, VmPoolSettings poolSettings) {
        this.id = requireNonNull(id, "id is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.accel = requireNonNull(accel, "accel is null");
        this.boot = requireNonNull(boot, "boot is null");
        this.snp = requireNonNull(snp, "snp is null");
        this.socketRoot = requireNonNull(socketRoot, "socketRoot is null");
        this.poolSettings = requireNonNull(poolSettings, "poolSettings is null");
        this.sessions = new SessionGuests(id, settings, accel, boot, snp, socketRoot);
    }

    /** Starts the warm pool, when one is configured. */
    @Override
    public void start() {
        pool();
    }

    /** The warm pool, started on first use; empty when none is configured or the backend is closed. */
    synchronized Optional<VmPool> pool() {
        if (pool == null && poolSettings.size() > 0 && !closed.get()) {
            pool = new VmPool(sessions, poolSettings.size(), poolSettings.idleLimit(), SandboxPolicy.minimal());
            pool.start();
        }
        return closed.get() ? Optional.empty() : Optional.ofNullable(pool);
    }

    /**
     * Waits until the warm pool holds {@code count} ready guests (benchmarks and tests measure warm execs).
     *
     * @return false when no pool is configured or {@code timeout} passed first
     */
    public boolean awaitWarmGuests(int count, Duration timeout) throws InterruptedException {
        Optional<VmPool> warm = pool();
        return warm.isPresent() && warm.get().awaitReady(count, timeout);
    }

    /** A session: one guest kept alive across execs until closed, with file operations on its working directory. */
    @Override
    public SandboxSession openSession(SandboxPolicy policy) {
        requireNonNull(policy, "policy is null");
        if (closed.get()) {
            throw new SandboxStateException("the " + id + " backend is closed", "create a new sandbox");
        }
        return openSession(policy, VmSession.DEFAULT_GRACE);
    }

    /** A session whose guest counts as no longer answering {@code grace} after an exec's own timeout. */
    VmSession openSession(SandboxPolicy policy, Duration grace) {
        if (closed.get()) {
            throw new SandboxStateException("the " + id + " backend is closed", "create a new sandbox");
        }
        return track(VmSession.open(sessions, policy, grace));
    }

    /** The QEMU command line for {@code request}, with the channel sockets in {@code channelDir}. */
    public QemuArgs qemuArgs(ExecRequest request, Path channelDir) {
        return QemuTranslator.translate(launch(request), settings, VmChannels.in(channelDir));
    }

    /** The launch an exec of {@code request} makes: the one description its command line and expected measurement come from. */
    public GuestLaunch launch(ExecRequest request) {
        Optional<SnpLaunch> launch = snp.map(s -> s.launch(s.attestor().hostData(request)));
        return GuestLaunch.plan(request.policy(), settings, accel, boot, launch);
    }

    /**
     * The SEV-SNP launch measurement an exec of {@code request} must report, computed from the same launch
     * description as its command line (empty for a plain VM).
     *
     * @throws dev.kavach.api.ConfigurationException when the launch cannot be measured
     */
    public Optional<dev.kavach.backend.sev.measure.SnpMeasurement> expectedMeasurement(ExecRequest request) {
        return measurer.expected(launch(request));
    }

    /**
     * The exact QEMU argv an exec of {@code request} runs, except that each exec creates its own socket
     * directory, shown here as {@code <socketRoot>/kavach-<id>-<exec>}. The task itself (argv, env,
     * workdir, stdin) is not on the command line: it travels to the guest on the {@code kavach.task} port
     * as {@link TaskArchive#encode}. A benchmark can launch this argv directly by listening on the five
     * sockets first (QEMU connects to them), e.g. with {@code src/test/scripts/qemu-direct.py}.
     */
    @Override
    public Optional<List<String>> commandLine(ExecRequest request) {
        return Optional.of(qemuArgs(request, socketRoot.resolve("kavach-" + id + "-<exec>")).argv());
    }

    @Override
    public ExecResult exec(ExecRequest request) {
        return exec(request, OutputListener.NONE);
    }

    @Override
    public ExecResult exec(ExecRequest request, OutputListener listener) {
        requireNonNull(request, "request is null");
        requireNonNull(listener, "listener is null");
        if (closed.get()) {
            throw new SandboxStateException("the " + id + " backend is closed", "create a new sandbox");
        }
        // close() interrupts the threads of running execs: the VM of each is then stopped.
        running.add(Thread.currentThread());
        try {
            if (closed.get()) {
                throw new SandboxStateException("the " + id + " backend is closed", "create a new sandbox");
            }
            Optional<VmPool> warm = pool();
            if (warm.isPresent()) {
                Optional<SessionGuests.Started> guest = warm.get().take(request.policy());
                if (guest.isPresent()) {
                    // Used once: the guest serves this exec only and is stopped afterwards, in the background.
                    VmSession once = track(new VmSession(id, guest.get(), request.policy(), sessions.attestor(), VmSession.DEFAULT_GRACE));
                    try {
                        return once.exec(request, listener);
                    } finally {
                        openSessions.remove(once);
                        warm.get().release(guest.get());
                    }
                }
            }
            if (request.movesFiles()) {
                // Files in and out travel the session agent's channels: a one-exec session.
                try (VmSession once = track(VmSession.open(sessions, request.policy(), VmSession.DEFAULT_GRACE))) {
                    return once.exec(request, listener);
                }
            }
            return execInFreshVm(request, listener);
        } finally {
            running.remove(Thread.currentThread());
        }
    }

    /** Registers a session so that closing the backend closes it; it leaves the set when it closes. */
    private VmSession track(VmSession session) {
        openSessions.add(session);
        session.onClose(() -> openSessions.remove(session));
        if (closed.get()) {
            session.close();
        }
        return session;
    }

    /** One exec in a VM booted for it alone, through the one-shot agent ({@code guest/init}). */
    private ExecResult execInFreshVm(ExecRequest request, OutputListener listener) {
        long memoryMiB = QemuTranslator.memoryMiB(request.policy(), settings, "kavach.backends." + id + ".");
        Path setpriv = QemuLauncher.setpriv().orElseThrow(() -> new SandboxException(
                "the " + id + " backend needs setpriv with --pdeathsig (util-linux 2.33+) so that QEMU dies with this JVM, and found none on PATH",
                "install util-linux (apt-get install util-linux)"));
        Path dir = null;
        QemuUidLease lease = null;
        dev.kavach.backend.sev.measure.SnpMeasurement expected = null;
        try {
            try {
                dir = VmWorkDirs.create(socketRoot, id);
            } catch (IOException e) {
                throw new SandboxException("the " + id + " backend cannot create its VM directory in " + socketRoot + ": " + describe(e),
                        "make " + socketRoot + " (java.io.tmpdir) a writable directory");
            }
            // stdin goes to a file of the VM's directory and the task archive is streamed from a file there:
            // neither is held in memory, and both are this JVM's alone (the dropped QEMU never reads them).
            request = StagedStdin.spool(request, memoryMiB * 1024 * 1024 / 4, id, memoryMiB, dir);
            byte[] nonce = null;
            byte[] hostData = null;
            if (snp.isPresent()) {
                // The host sends only this fresh nonce; the guest vouches for everything else (ResultBinding).
                nonce = new byte[32];
                RANDOM.nextBytes(nonce);
                hostData = snp.get().attestor().hostData(request);
            }
            Path task = Files.createFile(dir.resolve("task.cpio"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(task))) {
                TaskArchive.encode(request, nonce, out);
            }
            long started = System.nanoTime();
            Optional<SnpLaunch> snpLaunch = Optional.ofNullable(hostData).map(h -> snp.get().launch(h));
            GuestLaunch launch = GuestLaunch.plan(request.policy(), settings, accel, boot, snpLaunch);
            // Measured before QEMU starts: a launch whose measurement cannot be known could never be verified.
            expected = measurer.expected(launch).orElse(null);
            QemuArgs args = QemuTranslator.translate(launch, settings, VmChannels.in(dir));
            if (QemuLauncher.runningAsRoot()) {
                lease = QemuUidLease.acquire(QemuUidLease.LOCK_DIR);
            }
            QemuLauncher launcher = QemuLauncher.of(args, setpriv, lease == null ? OptionalInt.empty() : OptionalInt.of(lease.uid()));
            QemuRunner.Limits limits = new QemuRunner.Limits(settings.bootTimeout(), request.effectiveTimeout(),
                    request.policy().outputLimitBytes(), settings.consoleTailBytes(), settings.statusLimitBytes());
            if (LOG.isDebugEnabled()) {
                LOG.debug("{}: VM directory {}, QEMU {}{}", id, dir, lease == null ? "as this user" : "dropped to uid " + lease.uid(),
                        expected == null ? "" : ", expected measurement " + expected.hex());
            }
            QemuRunner.Run run = QemuRunner.run(launcher, VmChannels.in(dir), task, limits, listener);
            Duration duration = Duration.ofNanos(System.nanoTime() - started);
            LOG.debug("{}: exec of {} took {} ms", id, request.command().argv().get(0), duration.toMillis());
            return result(request, run, duration, args, launcher, nonce, hostData, expected);
        } catch (IOException e) {
            throw new SandboxException("the " + id + " backend could not start its VM: " + describe(e),
                    "check that " + socketRoot + " is writable" + (lease == null && QemuLauncher.runningAsRoot() ? " and " + QemuUidLease.LOCK_DIR + " is root's" : ""), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException(closed.get() ? "the " + id + " backend was closed while the command ran; its VM was stopped"
                    : "interrupted while the VM ran; the VM was stopped", "", e);
        } finally {
            SessionGuests.release(dir, lease);
            if (dir != null) {
                LOG.debug("{}: removed VM directory {}{}", id, dir, lease != null ? " and released uid " + lease.uid() : "");
            }
        }
    }

    private ExecResult result(ExecRequest request, QemuRunner.Run run, Duration duration, QemuArgs args, QemuLauncher launcher, byte[] nonce,
                              byte[] hostData, dev.kavach.backend.sev.measure.SnpMeasurement expected) {
        if (run.bootFailure().isPresent()) {
            // Before the agent reported ready no task had run: the console holds only firmware, kernel and
            // agent lines, quoted (sanitized, labelled) because they explain the failure.
            throw new SandboxException("the " + id + " VM never booted into the Kavach agent: " + run.bootFailure().get()
                    + run.qemuLog().quoted("QEMU's own messages", 10)
                    + run.console().quoted("guest console output, untrusted", 25),
                    bootFix());
        }
        List<Enforcement> enforcement = enforcement(request, run, args, launcher);
        if (run.timedOut()) {
            return new ExecResult(137, run.stdout(), run.stderr(), duration, Outcome.TIMED_OUT,
                    "timed out after " + seconds(request.effectiveTimeout()) + "; the VM was stopped: " + run.stoppedBy(), enforcement, null);
        }
        // From here on the task has run: the guest console is the task's to write, so no message quotes it.
        // Only the agent's status channel (a port the task never holds) and QEMU's own messages count.
        AgentStatus status = AgentStatus.of(run.status());
        if (status.exitCode().isEmpty()) {
            throw new SandboxException("the " + id + " guest agent ended without reporting an exit code: " + status.failure()
                    .orElse(run.qemuExit().map(code -> "QEMU exited with status " + code).orElse("the VM stopped"))
                    + run.qemuLog().quoted("QEMU's own messages", 10),
                    "this is a guest image problem; rebuild it with kavach sev build-image and check the kernel's modules");
        }
        int exit = status.exitCode().get();
        // Outputs are bounded in the guest, which forwards at most the limit and reports what it dropped.
        StreamOutput stdout = withGuestDropped(run.stdout(), run.statusValue("stdout-dropped"));
        StreamOutput stderr = withGuestDropped(run.stderr(), run.statusValue("stderr-dropped"));
        Attestation attestation = null;
        if (snp.isPresent()) {
            attestation = attest(request, run, nonce, hostData, stdout, stderr, exit, expected);
        }
        String program = request.command().argv().get(0);
        if (status.notFound()) {
            return new ExecResult(127, stdout, stderr, duration, Outcome.FAILED_TO_START,
                    "program not found in the guest: " + program, enforcement, attestation);
        }
        if (status.execErrno().isPresent()) {
            int errno = status.execErrno().get();
            return new ExecResult(exit, stdout, stderr, duration, Outcome.FAILED_TO_START,
                    "the guest could not execute " + program + ": " + AgentStatus.errnoText(errno), enforcement, attestation);
        }
        String signal = status.signal().map(n -> "killed by signal " + n + AgentStatus.signalName(n)).orElse("");
        if (status.oomKills() > 0) {
            String memory = args.value("-m").orElse("?");
            // Only a task that died of SIGKILL was stopped by the limit; one that survived a child's OOM kill completed.
            return status.signal().equals(Optional.of(9))
                    ? new ExecResult(exit, stdout, stderr, duration, Outcome.KILLED,
                    "memory limit exceeded: the guest (" + memory + " of RAM) ran out of memory and its OOM killer stopped the task",
                    enforcement, attestation)
                    : new ExecResult(exit, stdout, stderr, duration, Outcome.COMPLETED,
                    "the guest (" + memory + " of RAM) ran out of memory and its OOM killer stopped " + status.oomKills() + " process(es) of the task"
                            + (signal.isEmpty() ? "" : "; the task was " + signal), enforcement, attestation);
        }
        return new ExecResult(exit, stdout, stderr, duration, Outcome.COMPLETED, signal.isEmpty() ? "" : "the task was " + signal,
                enforcement, attestation);
    }

    private static StreamOutput withGuestDropped(StreamOutput received, Optional<String> guestDropped) {
        long dropped = guestDropped.map(String::trim).filter(v -> v.matches("[0-9]{1,18}")).map(Long::parseLong).orElse(0L);
        return dropped == 0 ? received : new StreamOutput(received.bytes(), received.droppedBytes() + dropped);
    }

    private Attestation attest(ExecRequest request, QemuRunner.Run run, byte[] nonce, byte[] hostData, StreamOutput stdout, StreamOutput stderr,
                               int exit, dev.kavach.backend.sev.measure.SnpMeasurement expected) {
        Optional<String> report = run.statusValue("report");
        Optional<String> statement = run.statusValue("statement");
        if (report.isEmpty() || statement.isEmpty()) {
            String why = run.statusValue("report-error").orElse("the guest agent returned no report");
            throw new SandboxException("the sev guest returned no attestation report: " + why + "; the result is not trusted",
                    "use a guest kernel with the sev-guest driver and configfs-tsm (CONFIG_TSM_REPORTS, Linux 6.7+, e.g. Debian's 6.12: "
                            + "kavach sev fetch-kernel), and run on an SEV-SNP host");
        }
        ExecAttestor.GuestResult guest;
        try {
            guest = new ExecAttestor.GuestResult(base64(statement.get()), base64(report.get()), base64(run.statusValue("certs").orElse("")),
                    stdout.bytes(), stderr.bytes(), stdout.droppedBytes(), stderr.droppedBytes(), exit);
        } catch (IllegalArgumentException e) {
            throw new SandboxException("the sev guest returned a malformed statement, report or certificate table (not base64); the result is not trusted", "");
        }
        Attestation attestation = snp.get().attestor().verify(request, nonce, hostData, guest, expected);
        if (!attestation.verified()) {
            String failed = String.join("; ", attestation.checks().stream().filter(c -> !c.passed()).map(c -> c.name() + ": " + c.detail()).toList());
            throw new SandboxException("the sev guest's attestation report failed verification; the result is not trusted: " + failed,
                    "check the expected measurement and certificates (kavach attest verify)");
        }
        return attestation;
    }

    private static byte[] base64(String value) {
        return Base64.getDecoder().decode(value.trim());
    }

    private List<Enforcement> enforcement(ExecRequest request, QemuRunner.Run run, QemuArgs args, QemuLauncher launcher) {
        List<Enforcement> list = new ArrayList<>();
        String smp = args.value("-smp").orElse("?");
        String memory = args.value("-m").orElse("?");
        list.add(new Enforcement("isolation", (snp.isPresent() ? "SEV-SNP confidential VM" : "virtual machine") + " under "
                + accel.name() + ", QEMU pid " + run.qemuPid() + ", boot " + run.boot().toMillis() + " ms, exec " + run.exec().toMillis() + " ms"));
        list.add(new Enforcement("qemu", "QEMU " + (launcher.uid().isPresent() ? "runs as uid " + launcher.uid().getAsInt()
                + " (dropped by setpriv before exec: no groups, no capabilities, empty bounding set)" : "runs as this user")
                + ", seccomp sandbox (-sandbox " + QemuBinary.SANDBOX + "), parent-death SIGKILL: it dies with this JVM"));
        list.add(new Enforcement("cpus", smp + " vCPU(s) (policy " + request.policy().cpus() + ", rounded up)"));
        list.add(new Enforcement("memory", "guest RAM " + memory));
        list.add(new Enforcement("network", "no network device in the VM"));
        // The boundary is the VM; inside it the task runs as an unprivileged user (uid 1000, no capabilities,
        // no_new_privs), so the in-guest limits below are the guest kernel's to enforce against it.
        list.add(new Enforcement("guestUser", "the task runs as uid/gid " + DropExecProgram.TASK_ID
                + " in the guest: no supplementary groups, empty capability bounding set, no_new_privs"));
        String inGuest = " inside the guest, set by the agent as root; the task (uid " + DropExecProgram.TASK_ID + ") cannot lift it";
        list.add(new Enforcement("readOnlyRoot", request.policy().readOnlyRoot()
                ? "guest root remounted read-only, private tmpfs /tmp and work directory" + inGuest + "; the host file system is never visible"
                : "the host file system is not visible; the guest root is a throwaway initramfs"));
        list.add(new Enforcement("seccomp", "not applied: the command runs on its own guest kernel, which is the boundary"));
        if (request.policy().maxPids() > 0) {
            list.add(new Enforcement("maxPids", "cgroup v2 pids.max=" + request.policy().maxPids() + inGuest));
        }
        if (request.policy().maxOpenFiles() > 0) {
            list.add(new Enforcement("maxOpenFiles", "RLIMIT_NOFILE=" + request.policy().maxOpenFiles() + inGuest));
        }
        if (request.policy().maxFileSizeBytes() > 0) {
            list.add(new Enforcement("maxFileSizeBytes", "RLIMIT_FSIZE=" + request.policy().maxFileSizeBytes() / 512 * 512 + " bytes" + inGuest));
        }
        long limit = request.policy().outputLimitBytes();
        list.add(new Enforcement("output", limit == 0 ? "no output limit: the agent forwards every byte on a virtio-serial port per stream"
                : "bounded in the guest (the agent forwards at most " + limit + " bytes per stream and counts the rest) and again on the host, "
                + "per virtio-serial port"));
        return List.copyOf(list);
    }

    private String bootFix() {
        String prefix = "kavach.backends." + id + ".";
        return "check " + prefix + "kernel (a Linux bzImage whose modules include virtio_pci and virtio_console) and the agent image "
                + "(kavach sev build-image --kernel ... --modules ... --busybox /bin/busybox); under TCG a loaded host may need a longer "
                + prefix + "boot-timeout"
                + (snp.isPresent() ? "; for SEV-SNP use the AmdSev OVMF build (" + prefix + "firmware) and a host with SNP enabled" : "");
    }

    /** An I/O failure in words: the JDK's messages are often just a path. */
    private static String describe(IOException e) {
        String kind = e.getClass().getSimpleName().replace("Exception", "");
        return e.getMessage() == null ? kind : kind.equals("IO") ? e.getMessage() : kind + ": " + e.getMessage();
    }

    private static String seconds(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
    }

    @Override
    public Health health() {
        return closed.get() ? Health.unhealthy("closed") : Health.ok();
    }

    /** Stops everything: running execs (their VMs), open sessions, the warm pool. Idempotent. */
    @Override
    public void close() {
        VmPool stopping;
        synchronized (this) {
            closed.set(true);
            stopping = pool;
        }
        for (Thread exec : running) {
            exec.interrupt();
        }
        for (VmSession session : List.copyOf(openSessions)) {
            session.close();
        }
        if (stopping != null) {
            stopping.close();
        }
    }
}
