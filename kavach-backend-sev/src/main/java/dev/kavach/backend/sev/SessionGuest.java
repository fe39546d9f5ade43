package dev.kavach.backend.sev;

import dev.kavach.backend.sev.guest.CpioReader;
import dev.kavach.backend.sev.guest.CpioWriter;
import dev.kavach.backend.sev.guest.VmChannels;
import dev.kavach.backend.sev.qemu.ConsoleTail;
import dev.kavach.backend.sev.qemu.QemuLauncher;
import dev.kavach.api.OutputListener;
import dev.kavach.api.SandboxException;
import dev.kavach.api.StdStream;
import dev.kavach.api.StreamOutput;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * A VM running the session agent ({@code guest/agent}): booted once, it serves requests one at a time over
 * Kavach's own virtio-serial ports until it is stopped. It speaks the agent's protocol and nothing else:
 * policy, paths and results are {@link VmSession}'s.
 *
 * <p>QEMU is started by a keeper thread of its own that lives exactly as long as QEMU: setpriv's parent-death
 * signal follows the thread that started the process, so QEMU dies with the JVM (even after {@code kill -9})
 * and never with a short-lived caller thread.
 *
 * <p>Every request runs under a deadline. A guest that stops answering (agent dead, QEMU hung) or a QEMU that
 * exits ends the guest: QEMU is stopped and every later call fails with the reason.
 */
final class SessionGuest implements AutoCloseable {
    /** The virtio-serial port the session agent sends files on, in addition to {@link VmChannels}'s. */
    static final String FILES_PORT = "kavach.files";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MAX_LINE = 256 * 1024;
    private static final int MAX_QUEUED_LINES = 100_000;
    private static final ScheduledExecutorService DEADLINES = deadlines();

    /** The host ends of the guest's channels. */
    record Sockets(VmChannels channels, Path files) {
        static Sockets in(Path dir) {
            return new Sockets(VmChannels.in(dir), dir.resolve("files.sock"));
        }

        List<Path> all() {
            return List.of(channels.qmp(), channels.task(), channels.stdout(), channels.stderr(), channels.status(), files);
        }
    }

    /**
     * What one exec returned: the agent's status lines (without {@code done}), the outputs up to their
     * boundaries, and the agent's round trip (from the request's first byte sent to the last reply byte read).
     */
    record ExecReply(List<String> status, StreamOutput stdout, StreamOutput stderr, Duration roundTrip) {
        ExecReply {
            status = List.copyOf(status);
        }
    }

    private final String what;
    private final Process qemu;
    private final Thread keeper;
    private final List<SocketChannel> clients;
    private final List<ServerSocketChannel> servers;
    private final Sockets sockets;
    private final ConsoleTail console;
    private final ConsoleTail qemuLog;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final OutputStream toGuest;
    private final InputStream files;
    private volatile Duration boot = Duration.ZERO;
    private final AtomicLong ids = new AtomicLong();
    private volatile OutputBoundary stdoutSink;
    private volatile OutputBoundary stderrSink;
    private volatile String failure;
    private volatile boolean closing;

    private SessionGuest(String what, Process qemu, Thread keeper, List<SocketChannel> clients, List<ServerSocketChannel> servers, Sockets sockets,
                         ConsoleTail console, ConsoleTail qemuLog) {
        this.what = what;
        this.qemu = qemu;
        this.keeper = keeper;
        this.clients = clients;
        this.servers = servers;
        this.sockets = sockets;
        this.console = console;
        this.qemuLog = qemuLog;
        this.toGuest = new BufferedOutputStream(Channels.newOutputStream(clients.get(1)), 64 * 1024);
        this.files = Channels.newInputStream(clients.get(5));
    }

    /**
     * Starts QEMU with {@code launcher}'s command line (its argv connects to {@code sockets}) and waits until the
     * agent reports ready.
     *
     * @param what        the guest in words, for messages ("the vm session guest")
     * @param bootTimeout from QEMU's start until the agent's ready
     * @throws SandboxException when the guest does not boot into the agent; the message quotes QEMU and the console
     */
    static SessionGuest boot(String what, QemuLauncher launcher, Sockets sockets, Duration bootTimeout, int consoleTailBytes, String bootFix)
            throws IOException, InterruptedException {
        List<ServerSocketChannel> servers = new ArrayList<>();
        List<SocketChannel> clients = new ArrayList<>();
        ConsoleTail console = new ConsoleTail(consoleTailBytes);
        ConsoleTail qemuLog = new ConsoleTail(consoleTailBytes);
        Process qemu = null;
        try {
            for (Path path : sockets.all()) {
                Files.deleteIfExists(path);
                ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                servers.add(server);
                server.bind(UnixDomainSocketAddress.of(path));
                server.configureBlocking(false);
            }
            Path dir = sockets.files().getParent();
            if (launcher.uid().isPresent()) {
                QemuLauncher.handOver(dir, sockets.all(), launcher.uid().getAsInt());
            }
            long started = System.nanoTime();
            long deadline = started + bootTimeout.toNanos();
            CompletableFuture<Process> start = new CompletableFuture<>();
            Thread keeper = Thread.ofPlatform().daemon().name("vm-keeper-" + dir.getFileName()).start(() -> keep(launcher, start));
            try {
                qemu = start.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            }
            try {
                if (Files.exists(dir.resolve(VmWorkDirs.OWNER))) {
                    VmWorkDirs.recordQemu(dir, qemu.toHandle());
                }
            } catch (IOException e) {
                // the parent-death signal still stops this QEMU; the record only serves a later sweep
            }
            Process process = qemu;
            QemuRunner.daemon("vm-console", () -> QemuRunner.pump(process.getInputStream(), console));
            QemuRunner.daemon("vm-qemu-stderr", () -> QemuRunner.pump(process.getErrorStream(), qemuLog));
            // Each accepted channel joins clients at once, so that a boot failure closes it too.
            if (QemuRunner.acceptChannels(servers, qemu, deadline, clients) == null) {
                throw bootFailure(what, qemu.isAlive() ? "QEMU did not connect its channels within " + bootTimeout.toSeconds() + " s"
                        : "QEMU exited (status " + qemu.waitFor() + ") before connecting its channels", qemu, console, qemuLog, bootFix);
            }
            SessionGuest guest = new SessionGuest(what, qemu, keeper, clients, servers, sockets, console, qemuLog);
            guest.startReaders();
            String first = guest.awaitReady(deadline);
            if (!first.equals("ready")) {
                guest.close();
                throw bootFailure(what, first.startsWith("error ") ? "the guest agent failed: " + first.substring(6)
                        : "the guest agent did not report ready (" + ConsoleTail.sanitize(first) + ")", qemu, console, qemuLog, bootFix);
            }
            guest.boot = Duration.ofNanos(System.nanoTime() - started);
            return guest;
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (qemu != null && qemu.isAlive()) {
                QemuRunner.stop(qemu, null);
            }
            clients.forEach(QemuRunner::closeQuietly);
            servers.forEach(QemuRunner::closeQuietly);
            throw e;
        }
    }

    private static void keep(QemuLauncher launcher, CompletableFuture<Process> start) {
        Process process;
        try {
            ProcessBuilder builder = new ProcessBuilder(launcher.argv()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            // QEMU gets no environment from the host: nothing of the task or the host leaks into it.
            builder.environment().clear();
            builder.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
            process = builder.start();
        } catch (IOException | RuntimeException e) {
            start.completeExceptionally(e);
            return;
        }
        start.complete(process);
        // This thread is QEMU's parent thread: it must not end while QEMU runs (the parent-death signal would fire).
        while (true) {
            try {
                process.waitFor();
                return;
            } catch (InterruptedException e) {
                // keep waiting
            }
        }
    }

    private String awaitReady(long deadline) throws InterruptedException {
        while (true) {
            String line = lines.poll(20, TimeUnit.MILLISECONDS);
            if (line != null) {
                return line;
            }
            if (failure != null) {
                return "error " + failure;
            }
            if (System.nanoTime() > deadline) {
                return "error the guest agent did not report ready within the boot timeout";
            }
        }
    }

    private void startReaders() {
        QemuRunner.daemon("vm-qmp", () -> QemuRunner.discard(clients.get(0)));
        QemuRunner.daemon("vm-stdout", () -> output(clients.get(2), true));
        QemuRunner.daemon("vm-stderr", () -> output(clients.get(3), false));
        QemuRunner.daemon("vm-status", this::statusLines);
        // QEMU's exit ends the guest; the keeper thread waits for it already, this one only reports it.
        qemu.onExit().thenRun(() -> fail("QEMU exited (status " + qemu.exitValue() + ")"));
    }

    /** How long the boot took, from QEMU's start to the agent's ready. */
    Duration bootTime() {
        return boot;
    }

    long qemuPid() {
        return qemu.pid();
    }

    /** Why this guest can take no more work, if it cannot. */
    java.util.Optional<String> failure() {
        return java.util.Optional.ofNullable(failure);
    }

    /**
     * Runs one exec: sends {@code exec ID BOUNDARY} and the task archive {@code archive} writes (its entries in
     * the directory {@code t}), then collects the status lines up to {@code done ID} and both outputs up to the
     * boundary.
     *
     * @param deadline how long the guest may take in all (the exec's own timeout, which the guest enforces, plus a grace)
     */
    synchronized ExecReply exec(ArchiveWriter archive, long outputLimit, OutputListener listener, Duration deadline) {
        long id = ids.incrementAndGet();
        String boundary = "kavach-end-" + HexFormat.of().formatHex(randomBytes(16));
        byte[] mark = boundary.getBytes(StandardCharsets.US_ASCII);
        OutputBoundary out = new OutputBoundary(mark, outputLimit, listener, StdStream.STDOUT);
        OutputBoundary err = new OutputBoundary(mark, outputLimit, listener, StdStream.STDERR);
        stdoutSink = out;
        stderrSink = err;
        long sent = System.nanoTime();
        List<String> status = call(id, "the exec", deadline, () -> {
            toGuest.write(("exec " + id + " " + boundary + "\n").getBytes(StandardCharsets.US_ASCII));
            archive.write("t", id, toGuest);
        }, line -> {
        });
        // The boundary follows the task's last output byte on each port; "done" may overtake it on its own port.
        try {
            long left = Math.max(1, deadline.toMillis());
            if (!out.awaitEnd(left) || !err.awaitEnd(left)) {
                fail("the guest agent did not end the exec's output within " + deadline.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted while the exec's output was read");
        }
        Duration roundTrip = Duration.ofNanos(System.nanoTime() - sent);
        requireAlive();
        stdoutSink = null;
        stderrSink = null;
        return new ExecReply(status, out.output(), err.output(), roundTrip);
    }

    /** Writes a task archive for the agent. */
    @FunctionalInterface
    interface ArchiveWriter {
        /** Writes the archive with its entries in {@code dir}, for request {@code id}. */
        void write(String dir, long id, OutputStream out) throws IOException;
    }

    /**
     * Writes {@code size} bytes from {@code content} to {@code path} (relative to the working directory) with
     * {@code mode}, through a temporary name and a rename in the guest.
     *
     * @return the agent's error, if it refused
     */
    synchronized java.util.Optional<String> put(String path, int mode, long size, InputStream content, Duration deadline) {
        long id = ids.incrementAndGet();
        List<String> status = call(id, "the upload of " + path, deadline, () -> {
            toGuest.write(("put " + id + "\n").getBytes(StandardCharsets.US_ASCII));
            toGuest.write((path + "\n").getBytes(StandardCharsets.UTF_8));
            try (CpioWriter cpio = new CpioWriter(toGuest)) {
                cpio.file(".kavach-put." + id, mode & 07777, size, content);
            }
        }, line -> {
        });
        return errors(status);
    }

    /** What a get returned: the file's bytes, or the agent's refusal. */
    record Download(byte[] content, int mode, java.util.Optional<String> error) {
    }

    /**
     * Reads {@code path} (relative to the working directory) as the archive the agent sends on its files port.
     *
     * @throws dev.kavach.api.TransferLimitExceededException when the file is larger than {@code limit} (its bytes are read and dropped)
     */
    synchronized Download get(String path, long limit, Duration deadline) {
        long id = ids.incrementAndGet();
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        int[] mode = {0};
        long[] size = {-1};
        List<String> status = call(id, "the download of " + path, deadline, () -> {
            toGuest.write(("get " + id + "\n").getBytes(StandardCharsets.US_ASCII));
            toGuest.write((path + "\n").getBytes(StandardCharsets.UTF_8));
        }, line -> {
            if (line.equals("file")) {
                CpioReader reader = new CpioReader(files);
                CpioReader.Entry entry = reader.next().orElseThrow(() -> new IOException("the guest sent an empty archive"));
                size[0] = entry.size();
                mode[0] = entry.mode() & 07777;
                reader.data(entry.size() <= limit ? content : null);
                if (reader.next().isPresent()) {
                    throw new IOException("the guest sent more than one file");
                }
            }
        });
        java.util.Optional<String> error = errors(status);
        if (error.isEmpty() && size[0] < 0) {
            error = java.util.Optional.of("the guest agent sent no file");
        }
        if (error.isEmpty() && size[0] > limit) {
            throw new dev.kavach.api.TransferLimitExceededException("file '" + path + "'", size[0], limit);
        }
        return new Download(content.toByteArray(), mode[0], error);
    }

    /** One directory entry as the agent's {@code stat} line gives it. */
    record Listed(String path, int rawMode, long size) {
    }

    /** Lists a directory ({@code "."} for the working directory); each path is the guest's full path. */
    synchronized java.util.Optional<String> list(String path, List<Listed> into, Duration deadline) {
        long id = ids.incrementAndGet();
        List<String> status = call(id, "the listing of " + path, deadline, () -> {
            toGuest.write(("list " + id + "\n").getBytes(StandardCharsets.US_ASCII));
            toGuest.write((path + "\n").getBytes(StandardCharsets.UTF_8));
        }, line -> {
        });
        for (String line : status) {
            if (line.startsWith("entry ")) {
                String[] parts = line.split(" ", 5);
                if (parts.length == 5 && parts[1].matches("[0-9a-f]{1,8}") && parts[2].matches("[0-9]{1,19}")) {
                    into.add(new Listed(parts[4], Integer.parseInt(parts[1], 16), Long.parseLong(parts[2])));
                }
            }
        }
        return errors(status);
    }

    private static java.util.Optional<String> errors(List<String> status) {
        return status.stream().filter(l -> l.startsWith("error ")).map(l -> ConsoleTail.sanitize(l.substring(6))).findFirst();
    }

    @FunctionalInterface
    private interface Send {
        void run() throws IOException;
    }

    @FunctionalInterface
    private interface LineAction {
        void accept(String line) throws IOException;
    }

    /** Sends a request and collects its status lines up to {@code done ID}, all under one deadline. */
    private List<String> call(long id, String request, Duration deadline, Send send, LineAction onLine) {
        requireAlive();
        ScheduledFuture<?> guard = DEADLINES.schedule(() -> fail("the guest agent did not answer " + request + " within "
                + seconds(deadline) + "; the VM was stopped"), deadline.toMillis(), TimeUnit.MILLISECONDS);
        try {
            send.run();
            toGuest.flush();
            List<String> status = new ArrayList<>();
            String done = "done " + id;
            while (true) {
                String line = lines.poll(20, TimeUnit.MILLISECONDS);
                if (line == null) {
                    requireAlive();
                    continue;
                }
                if (line.equals(done)) {
                    return status;
                }
                if (line.startsWith("done ")) {
                    fail("the guest agent answered request " + ConsoleTail.sanitize(line.substring(5)) + " while request " + id + " was open");
                }
                status.add(line);
                onLine.accept(line);
            }
        } catch (IOException e) {
            fail("the channel to the guest agent broke during " + request + ": " + e.getMessage());
            requireAlive();
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted during " + request);
            requireAlive();
            throw new IllegalStateException(e);
        } finally {
            guard.cancel(false);
        }
    }

    /** Throws the guest's failure, if it has one. */
    private void requireAlive() {
        String why = failure;
        if (why != null) {
            throw new SandboxException(what + " can take no more work: " + why + qemuLog.quoted("QEMU's own messages", 10),
                    "open a new session; if this repeats under TCG, the host may be too loaded (raise the exec timeout)");
        }
    }

    /** Ends the guest for {@code why}: QEMU is stopped, channels close, waiting calls wake and fail. First reason wins. */
    void fail(String why) {
        synchronized (lines) {
            if (failure != null) {
                closeChannels();
                return;
            }
            failure = closing ? "it was closed" : why;
        }
        stopQemu();
        closeChannels();
    }

    private void closeChannels() {
        // wakes a caller blocked on a channel: closing it makes its read or write fail at once
        clients.forEach(QemuRunner::closeQuietly);
    }

    private void stopQemu() {
        if (qemu.isAlive()) {
            QemuRunner.stop(qemu, closing ? clients.get(0) : null);
        }
    }

    /** Stops the VM (QMP quit, then SIGKILL) and removes its sockets. Idempotent. */
    @Override
    public void close() {
        closing = true;
        fail("it was closed");
        servers.forEach(QemuRunner::closeQuietly);
        for (Path path : sockets.all()) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                // the directory goes with the session
            }
        }
    }

    private void output(SocketChannel channel, boolean stdout) {
        ByteBuffer buffer = ByteBuffer.allocate(65536);
        try {
            while (channel.read(buffer.clear()) > 0) {
                OutputBoundary sink = stdout ? stdoutSink : stderrSink;
                if (sink != null) {
                    sink.accept(buffer.array(), 0, buffer.position());
                }
                // bytes between execs belong to no exec: a task cannot write there (it no longer runs), so they are dropped
            }
        } catch (IOException e) {
            // the VM ended
        }
    }

    private void statusLines() {
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            while (clients.get(4).read(buffer.clear()) > 0) {
                for (int i = 0; i < buffer.position(); i++) {
                    byte b = buffer.get(i);
                    if (b == '\n') {
                        lines.add(line.toString(StandardCharsets.UTF_8));
                        line.reset();
                        if (lines.size() > MAX_QUEUED_LINES) {
                            fail("the guest agent flooded its status port");
                            return;
                        }
                    } else if (line.size() < MAX_LINE) {
                        line.write(b);
                    } else {
                        fail("the guest agent sent a status line longer than " + MAX_LINE + " bytes");
                        return;
                    }
                }
            }
        } catch (IOException e) {
            // the VM ended
        }
    }

    private static SandboxException bootFailure(String what, String reason, Process qemu, ConsoleTail console, ConsoleTail qemuLog, String fix)
            throws InterruptedException {
        if (qemu.isAlive()) {
            QemuRunner.stop(qemu, null);
        }
        Thread.sleep(50); // the console pumps' last lines explain the failure
        return new SandboxException(what + " never booted into the Kavach agent: " + reason + qemuLog.quoted("QEMU's own messages", 10)
                + console.quoted("guest console output, untrusted", 25), fix);
    }

    static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private static String seconds(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
    }

    private static ScheduledExecutorService deadlines() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable -> Thread.ofPlatform().daemon().name("vm-deadlines").unstarted(runnable));
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

}
