package dev.kavach.backend.sev;

import dev.kavach.backend.sev.guest.AgentStatus;
import dev.kavach.backend.sev.guest.DropExecProgram;
import dev.kavach.backend.sev.guest.StagedStdin;
import dev.kavach.backend.sev.guest.TaskArchive;
import dev.kavach.backend.sev.qemu.ConsoleTail;
import dev.kavach.backend.sev.snp.ExecAttestor;
import dev.kavach.api.Attestation;
import dev.kavach.api.CollectedFile;
import dev.kavach.api.Enforcement;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.FileContent;
import dev.kavach.api.FileEntry;
import dev.kavach.api.FileInput;
import dev.kavach.api.Health;
import dev.kavach.api.OutputListener;
import dev.kavach.api.SandboxException;
import dev.kavach.api.SandboxPaths;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.SandboxSession;
import dev.kavach.api.SandboxStateException;
import dev.kavach.api.StreamOutput;
import dev.kavach.api.TransferLimitExceededException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Comparator;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.util.Objects.requireNonNull;

/**
 * A session of the {@code vm} or {@code sev} backend: one guest running the session agent, alive across execs
 * until closed, with the working directory {@code /work} (a file system of its own in the guest) persisting
 * between them. Files cross the agent's own ports as cpio archives, never a host share.
 *
 * <p>Each exec has its own timeout (enforced in the guest: its watchdog kills the task's cgroup) and output
 * limit (the host keeps at most that much per stream). Under {@code sev} each exec is attested with a fresh
 * nonce, and {@link #evidence()} lists every exec and every file transfer.
 */
public final class VmSession implements SandboxSession {
    /** The session's working directory inside the guest. */
    public static final String WORKDIR = TaskArchive.DEFAULT_WORKDIR;
    /** How long the guest may take beyond an exec's own timeout before it counts as no longer answering. */
    static final Duration DEFAULT_GRACE = Duration.ofSeconds(15);
    private static final long MIB = 1024 * 1024;

    private final String backendId;
    private final SessionGuests.Started started;
    private final SandboxPolicy policy;
    private final Optional<ExecAttestor> attestor;
    private final Duration grace;
    private final SessionEvidence evidence = new SessionEvidence();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Runnable onClose = () -> {
    };

    VmSession(String backendId, SessionGuests.Started started, SandboxPolicy policy, Optional<ExecAttestor> attestor, Duration grace) {
        this.backendId = requireNonNull(backendId, "backendId is null");
        this.started = requireNonNull(started, "started is null");
        this.policy = requireNonNull(policy, "policy is null");
        this.attestor = requireNonNull(attestor, "attestor is null");
        this.grace = requireNonNull(grace, "grace is null");
    }

    /** Boots a guest for {@code policy} and opens a session on it. */
    static VmSession open(SessionGuests guests, SandboxPolicy policy, Duration grace) {
        return new VmSession(guests.backendId(), guests.start(policy), policy, guests.attestor(), grace);
    }

    /** The QEMU process of this session's guest. */
    public long qemuPid() {
        return started.guest.qemuPid();
    }

    /** How long the guest took to boot into its agent. */
    public Duration bootTime() {
        return started.guest.bootTime();
    }

    /** The SEV-SNP launch measurement this session's guest must report (empty for a plain VM). */
    public Optional<dev.kavach.backend.sev.measure.SnpMeasurement> expectedMeasurement() {
        return started.expected;
    }

    /** What happened in this session, in order: each exec (attested under {@code sev}) and each file transfer. */
    public List<SessionEvidence.Entry> evidence() {
        return evidence.entries();
    }

    /** {@link #evidence()} as one {@link dev.kavach.api.Attestation}, once an exec was attested (under {@code sev}). */
    @Override
    public Optional<dev.kavach.api.Attestation> attestation() {
        return evidence.attestation();
    }

    @Override
    public ExecResult exec(ExecRequest request, OutputListener listener) {
        requireNonNull(request, "request is null");
        requireNonNull(listener, "listener is null");
        requireOpen();
        // The files placed before the command share one transfer limit, as the files collected after it do.
        long budget = policy.transferLimitBytes();
        long known = request.files().stream().mapToLong(f -> f.content().knownLength().orElse(0)).sum();
        if (known > budget) {
            throw new TransferLimitExceededException("the files placed before the command", known, budget);
        }
        long placed = 0;
        for (FileInput file : request.files()) {
            try {
                placed += put(file, budget - placed);
            } catch (TransferLimitExceededException e) {
                throw new TransferLimitExceededException("the files placed before the command", budget + 1, budget); // at least one byte over
            }
        }
        String workdir = request.workdirOptional().map(w -> w.startsWith("/") ? w : WORKDIR + "/" + SandboxPaths.normalize(w, "working directory"))
                .orElse(WORKDIR);
        requireLine(workdir, "working directory");
        ExecRequest resolved = request.toBuilder().workdir(workdir).files(List.of()).collect(List.of()).build();
        long memoryMiB = started.launch.memoryMiB();
        resolved = StagedStdin.spool(resolved, memoryMiB * MIB / 4, backendId, memoryMiB, started.dir);
        byte[] nonce = attestor.isPresent() ? SessionGuest.randomBytes(32) : null;
        Duration timeout = resolved.effectiveTimeout();
        ExecRequest task = resolved;
        long begun = System.nanoTime();
        SessionGuest.ExecReply reply = started.guest.exec((dir, id, out) -> TaskArchive.encode(task, nonce, dir,
                        Map.of("timeout-ms", (Math.max(1, timeout.toMillis()) + "\n").getBytes(StandardCharsets.US_ASCII)), out),
                request.policy().outputLimitBytes(), listener, execDeadline(timeout, grace, task.stdinSource().knownLength().orElse(0)));
        Duration duration = Duration.ofNanos(System.nanoTime() - begun);
        deleteStagedStdin();
        ExecResult result = result(task, reply, duration, nonce);
        if (!request.collect().isEmpty()) {
            result = result.withFiles(collect(request.collect()));
        }
        return result;
    }

    private ExecResult result(ExecRequest request, SessionGuest.ExecReply reply, Duration duration, byte[] nonce) {
        AgentStatus status = AgentStatus.of(reply.status());
        boolean timedOut = reply.status().contains("timedout");
        if (status.exitCode().isEmpty() && !timedOut) {
            throw new SandboxException("the " + backendId + " session agent ended the exec without an exit code: "
                    + status.failure().orElse("no reason given"), "this is a guest image problem; rebuild it with kavach sev build-image");
        }
        int exit = status.exitCode().orElse(137);
        StreamOutput stdout = withGuestDropped(reply.stdout(), reply.status(), "stdout-dropped");
        StreamOutput stderr = withGuestDropped(reply.stderr(), reply.status(), "stderr-dropped");
        Attestation attestation = nonce == null ? null : attest(request, reply, nonce, stdout, stderr, exit);
        String program = request.command().argv().get(0);
        ExecResult.Builder builder;
        if (timedOut) {
            builder = ExecResult.Builder.timedOut().detail("timed out after " + seconds(request.effectiveTimeout())
                    + "; the guest's watchdog killed the task's processes (cgroup.kill), the session goes on");
        } else if (status.notFound()) {
            builder = ExecResult.Builder.failedToStart(127, "program not found in the guest: " + program);
        } else if (status.execErrno().isPresent()) {
            builder = ExecResult.Builder.failedToStart(exit == 127 ? 127 : 126,
                    "the guest could not execute " + program + ": " + AgentStatus.errnoText(status.execErrno().get()));
        } else if (status.oomKills() > 0 && status.signal().equals(Optional.of(9))) {
            builder = ExecResult.Builder.killed("memory limit exceeded: the guest (" + started.launch.memoryMiB()
                    + " MiB of RAM) ran out of memory and its OOM killer stopped the task").exitCode(exit);
        } else {
            builder = ExecResult.Builder.completed(exit);
            if (status.signal().isPresent()) {
                int n = status.signal().get();
                builder.detail("the task was killed by signal " + n + AgentStatus.signalName(n));
            }
            if (status.oomKills() > 0) {
                builder.addDetail("the guest ran out of memory and its OOM killer stopped " + status.oomKills() + " process(es) of the task");
            }
        }
        ExecResult result = builder.stdout(stdout).stderr(stderr).duration(duration).enforcement(enforcement(request, reply.roundTrip()))
                .attestation(attestation).build();
        evidence.exec(request, result, nonce, attestation);
        return result;
    }

    private static StreamOutput withGuestDropped(StreamOutput received, List<String> status, String key) {
        long dropped = status.stream().filter(l -> l.startsWith(key + " ")).findFirst().map(l -> l.substring(key.length() + 1).trim())
                .filter(v -> v.matches("[0-9]{1,18}")).map(Long::parseLong).orElse(0L);
        return dropped == 0 ? received : new StreamOutput(received.bytes(), received.droppedBytes() + dropped);
    }

    private Attestation attest(ExecRequest request, SessionGuest.ExecReply reply, byte[] nonce, StreamOutput stdout, StreamOutput stderr, int exit) {
        Optional<String> report = value(reply.status(), "report");
        Optional<String> statement = value(reply.status(), "statement");
        if (report.isEmpty() || statement.isEmpty()) {
            String why = value(reply.status(), "report-error").orElse("the guest agent returned no report");
            throw unverified(request, nonce, stdout, exit, "report", why, new SandboxException("the sev session guest returned no attestation report: "
                    + why + "; the result is not trusted",
                    "use a guest kernel with the sev-guest driver and configfs-tsm (kavach sev fetch-kernel), on an SEV-SNP host"));
        }
        ExecAttestor.GuestResult guest;
        try {
            Base64.Decoder base64 = Base64.getDecoder();
            guest = new ExecAttestor.GuestResult(base64.decode(statement.get().trim()), base64.decode(report.get().trim()),
                    base64.decode(value(reply.status(), "certs").orElse("").trim()), stdout.bytes(), stderr.bytes(), stdout.droppedBytes(),
                    stderr.droppedBytes(), exit);
        } catch (IllegalArgumentException e) {
            throw unverified(request, nonce, stdout, exit, "report", "malformed base64", new SandboxException(
                    "the sev session guest returned a malformed statement, report or certificate table; the result is not trusted", ""));
        }
        Attestation attestation = started.expected.isPresent()
                ? attestor.orElseThrow().verify(request, nonce, started.hostData, guest, started.expected.get())
                : attestor.orElseThrow().verify(request, nonce, started.hostData, guest);
        if (!attestation.verified()) {
            String failed = String.join("; ", attestation.checks().stream().filter(c -> !c.passed()).map(c -> c.name() + ": " + c.detail()).toList());
            evidence.exec(request, ExecResult.Builder.completed(exit).stdout(stdout).build(), nonce, attestation);
            throw new SandboxException("the sev session guest's attestation report failed verification; the result is not trusted: " + failed,
                    "check the expected measurement and certificates (kavach attest verify)");
        }
        return attestation;
    }

    /**
     * Records an exec whose result cannot be trusted in the session's evidence, so that the session's attestation
     * says so (what it did to the working directory stays for later execs), and returns {@code failure} to throw.
     */
    private SandboxException unverified(ExecRequest request, byte[] nonce, StreamOutput stdout, int exit, String check, String why,
                                        SandboxException failure) {
        Attestation none = new Attestation("sev-snp", false, Map.of(), List.of(new Attestation.Check(check, false, why)));
        evidence.exec(request, ExecResult.Builder.completed(exit).stdout(stdout).build(), nonce, none);
        return failure;
    }

    private static Optional<String> value(List<String> status, String key) {
        return status.stream().filter(l -> l.startsWith(key + " ")).findFirst().map(l -> l.substring(key.length() + 1));
    }

    private List<Enforcement> enforcement(ExecRequest request, Duration roundTrip) {
        long limit = request.policy().outputLimitBytes();
        return List.of(
                new Enforcement("isolation", (attestor.isPresent() ? "SEV-SNP confidential VM" : "virtual machine") + " kept for a session, QEMU pid "
                        + qemuPid() + ", booted in " + bootTime().toMillis() + " ms, agent round trip "
                        + String.format(java.util.Locale.ROOT, "%.1f", roundTrip.toNanos() / 1e6) + " ms"),
                new Enforcement("guestUser", "the task runs as uid/gid " + DropExecProgram.TASK_ID
                        + " in the guest: no supplementary groups, empty capability bounding set, no_new_privs"),
                new Enforcement("timeout", seconds(request.effectiveTimeout()) + ", enforced in the guest: a watchdog kills the task's cgroup"),
                new Enforcement("output", limit == 0 ? "no output limit" : "at most " + limit + " bytes per stream kept, the rest counted as dropped"
                        + (attestor.isPresent() ? " (bounded and hashed in the guest)" : " (bounded on the host)")),
                new Enforcement("network", "no network device in the VM"));
    }

    @Override
    public void put(FileInput file) {
        put(file, policy.transferLimitBytes());
    }

    /** Puts {@code file}, at most {@code limit} bytes; returns its size. */
    private long put(FileInput file, long limit) {
        requireNonNull(file, "file is null");
        requireOpen();
        requireLine(file.path(), "file path");
        Path spool = null;
        try {
            FileContent content = file.content();
            long size;
            InputStream in;
            Optional<byte[]> bytes = content.bytes();
            if (bytes.isPresent()) {
                size = bytes.get().length;
                if (size > limit) {
                    throw new TransferLimitExceededException("file '" + file.path() + "'", size, limit);
                }
                in = new ByteArrayInputStream(bytes.get());
            } else {
                // Streams and host files are copied first, counting: the archive names the size before the bytes.
                spool = Files.createTempFile(started.dir, "put-", ".spool", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                size = copyBounded(content, spool, limit, file.path());
                in = Files.newInputStream(spool);
            }
            MessageDigest sha = sha256();
            try (InputStream counted = new java.security.DigestInputStream(in, sha)) {
                Optional<String> error = started.guest.put(file.path(), file.mode(), size, counted, transferDeadline(size));
                if (error.isPresent()) {
                    throw new SandboxException("cannot put '" + file.path() + "' in the " + backendId + " session: " + error.get(),
                            "name a regular file inside the working directory");
                }
            }
            evidence.transfer("put", file.path(), size, HexFormat.of().formatHex(sha.digest()));
            return size;
        } catch (IOException e) {
            throw new SandboxException("cannot read the content of '" + file.path() + "': " + e.getMessage(), "give a readable file or stream");
        } finally {
            if (spool != null) {
                try {
                    Files.deleteIfExists(spool);
                } catch (IOException e) {
                    // the session directory goes at close
                }
            }
        }
    }

    private static long copyBounded(FileContent content, Path spool, long limit, String path) throws IOException {
        long copied = 0;
        try (InputStream in = content.open(); OutputStream out = Files.newOutputStream(spool)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                copied += n;
                if (copied > limit) {
                    throw new TransferLimitExceededException("file '" + path + "'", copied, limit);
                }
                out.write(buffer, 0, n);
            }
        }
        return copied;
    }

    @Override
    public InputStream get(String path) {
        String normal = SandboxPaths.normalizeFile(path, "file to get");
        requireOpen();
        requireLine(normal, "file path");
        SessionGuest.Download download = started.guest.get(normal, policy.transferLimitBytes(), transferDeadline(policy.transferLimitBytes()));
        if (download.error().isPresent()) {
            throw new SandboxException("cannot get '" + normal + "' from the " + backendId + " session: " + download.error().get(),
                    "name a regular file inside the working directory");
        }
        evidence.transfer("get", normal, download.content().length, HexFormat.of().formatHex(sha256().digest(download.content())));
        return new ByteArrayInputStream(download.content());
    }

    @Override
    public List<FileEntry> list(String directory) {
        String normal = SandboxPaths.normalize(directory, "directory to list");
        requireOpen();
        requireLine(normal, "directory");
        List<SessionGuest.Listed> listed = new ArrayList<>();
        Optional<String> error = started.guest.list(normal.isEmpty() ? "." : normal, listed, transferDeadline(0));
        if (error.isPresent()) {
            throw new SandboxException("cannot list '" + normal + "' in the " + backendId + " session: " + error.get(),
                    "name a directory inside the working directory");
        }
        String prefix = WORKDIR + "/" + (normal.isEmpty() ? "" : normal + "/");
        List<FileEntry> entries = new ArrayList<>();
        for (SessionGuest.Listed entry : listed) {
            if (!entry.path().startsWith(prefix) || entry.path().substring(prefix.length()).contains("/")) {
                continue; // a name with a newline was split by the agent's line format: not reported rather than misreported
            }
            String name = entry.path().substring(prefix.length());
            if (name.isEmpty()) {
                continue;
            }
            FileEntry.Type type = switch (entry.rawMode() & 0170000) {
                case 0100000 -> FileEntry.Type.FILE;
                case 0040000 -> FileEntry.Type.DIRECTORY;
                case 0120000 -> FileEntry.Type.SYMLINK;
                default -> FileEntry.Type.OTHER;
            };
            entries.add(new FileEntry(name, type, type == FileEntry.Type.FILE ? entry.size() : 0, entry.rawMode() & 07777));
        }
        entries.sort(Comparator.comparing(FileEntry::name));
        return List.copyOf(entries);
    }

    /** The regular files under the working directory that match {@code globs}, read back (symbolic links are not followed). */
    private List<CollectedFile> collect(List<String> globs) {
        List<PathMatcher> matchers = globs.stream().map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g)).toList();
        List<CollectedFile> files = new ArrayList<>();
        long total = 0;
        Deque<String> dirs = new ArrayDeque<>(List.of(""));
        while (!dirs.isEmpty()) {
            String dir = dirs.pop();
            for (FileEntry entry : list(dir)) {
                String path = dir.isEmpty() ? entry.name() : dir + "/" + entry.name();
                if (entry.type() == FileEntry.Type.DIRECTORY) {
                    dirs.push(path);
                } else if (entry.type() == FileEntry.Type.FILE && matchers.stream().anyMatch(m -> m.matches(Path.of(path)))) {
                    total += entry.size();
                    if (total > policy.transferLimitBytes()) {
                        throw new TransferLimitExceededException("the files collected by " + globs, total, policy.transferLimitBytes());
                    }
                    try (InputStream in = get(path)) {
                        files.add(new CollectedFile(path, in.readAllBytes(), entry.mode()));
                    } catch (IOException e) {
                        throw new SandboxException("cannot read the collected file '" + path + "': " + e.getMessage(), "");
                    }
                }
            }
        }
        return files;
    }

    /** Generous: 30 s plus one per MiB, as TCG moves a few tens of MiB per second through a port. */
    /**
     * How long an exec may take before its guest counts as no longer answering: the command's own timeout, the grace,
     * and the upload of its stdin inside the task archive at the pace allowed to file transfers (a second per MiB), so
     * that a large stdin under emulation with a short timeout is not taken for a guest that stopped.
     */
    static Duration execDeadline(Duration timeout, Duration grace, long stdinBytes) {
        return timeout.plus(grace).plusSeconds(stdinBytes / MIB);
    }

    private static Duration transferDeadline(long bytes) {
        return Duration.ofSeconds(30 + bytes / MIB);
    }

    /** The agent reads a path as one line: a path with a line break cannot be sent to it. */
    private void requireLine(String path, String what) {
        for (int i = 0; i < path.length(); i++) {
            if (path.charAt(i) < 0x20 || path.charAt(i) == 0x7f) {
                throw new IllegalArgumentException("the " + backendId + " backend cannot name a " + what + " containing a control character: '"
                        + ConsoleTail.sanitize(path) + "'");
            }
        }
    }

    private void requireOpen() {
        if (closed.get()) {
            throw new SandboxStateException("the " + backendId + " session is closed", "open a new session");
        }
    }

    private void deleteStagedStdin() {
        try {
            Files.deleteIfExists(started.dir.resolve("stdin"));
        } catch (IOException e) {
            // the session directory goes at close
        }
    }

    @Override
    public Health health() {
        if (closed.get()) {
            return Health.unhealthy("closed");
        }
        return started.guest.failure().map(Health::unhealthy).orElse(Health.ok());
    }

    /** Runs {@code action} once this session has closed (the backend stops tracking it). */
    void onClose(Runnable action) {
        onClose = requireNonNull(action, "action is null");
        if (closed.get()) {
            action.run();
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            started.close();
            onClose.run();
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    private static String seconds(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
    }
}
