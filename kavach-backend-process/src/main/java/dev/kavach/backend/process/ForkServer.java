package dev.kavach.backend.process;

import dev.kavach.api.process.ProcessStarter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * The process backend's fork server: one small bash process per backend, started with the first exec, that
 * forks every launch itself and runs {@link LauncherScript}'s fixed step in the forked child. A launch then costs
 * two forks of a small process and the {@code execve}s of the sandbox chain (setpriv when Kavach is root,
 * bubblewrap, the command), where a spawn from the JVM costs the JVM's spawn helper and a launcher shell on top.
 *
 * <p>How one launch goes (all of it in the backend's private 0700 directory, hidden from every sandbox):
 * <ol>
 * <li>Kavach takes three FIFOs made ahead in batches ({@link FifoPool}: one {@code mkfifo} per many launches),
 *     renames them to {@code <id>.in/.out/.err}, writes the launcher's arguments NUL-separated to
 *     {@code <id>.req} and sends the server the line {@code <id>}.</li>
 * <li>The server forks a monitor for it. The monitor opens the three FIFOs (each open meets Kavach's open of the
 *     other end), reads the request with {@code mapfile} (never parsed as shell text: each field is one
 *     argument), forks the child that becomes the launch (stdio on the FIFOs, every other descriptor closed,
 *     then the launcher step, which {@code exec}s setpriv or bubblewrap), reports {@code P <id> <pid>
 *     <monitor pid>}, waits for it and reports {@code X <id> <status>}.</li>
 * </ol>
 * A request the monitor cannot open or read is reported {@code E <id> <why>} and never runs. A launch whose
 * monitor does not answer within {@link #ANSWER_WITHIN} (or whose server is gone) is cancelled: its request is
 * deleted first and its FIFOs then opened by Kavach itself, so that a late monitor finds no request and stops.
 *
 * <p>The server runs in a session of its own ({@code setsid}), so that a terminal's signals reach Kavach alone,
 * which stops its sandboxes itself. When Kavach dies, the server reads the end of its input and kills its
 * process group: every monitor and bubblewrap, whose sandboxes die with them ({@code --die-with-parent}).
 */
final class ForkServer implements ProcessStarter, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ForkServer.class);
    /** How long a launch waits for its monitor to open its FIFOs and report the child before it is cancelled. */
    static final java.time.Duration ANSWER_WITHIN = java.time.Duration.ofSeconds(60);
    private static final AtomicLong LAUNCHES = new AtomicLong();

    /**
     * The server. {@code set -o posix} keeps the launcher step's POSIX meaning ({@code ulimit -f} in 512-byte
     * blocks). Descriptor 9 carries the reports; the server itself holds no descriptor of any launch.
     */
    static String script(String launcherStep) {
        return String.join("\n",
                "set -o posix",
                "kavach_launch() {",
                launcherStep,
                "}",
                "kavach_monitor() {",
                "  local a pid",
                "  exec 3<\"$dir/$1.in\" 4>\"$dir/$1.out\" 5>\"$dir/$1.err\" || { echo \"E $1 cannot open the stdio FIFOs\" >&9; return; }",
                "  mapfile -d '' -t a <\"$dir/$1.req\" 2>/dev/null && [ \"${#a[@]}\" -gt 0 ] || { echo \"E $1 no request\" >&9; return; }",
                "  ( exec 0<&3 1>&4 2>&5 3<&- 4>&- 5>&- 9>&-; kavach_launch \"${a[@]}\" ) &",
                "  pid=$!",
                "  exec 3<&- 4>&- 5>&-",
                "  echo \"P $1 $pid $BASHPID\" >&9",
                "  wait \"$pid\"",
                "  echo \"X $1 $?\" >&9",
                "}",
                "dir=$1",
                "exec 9>&1 1>/dev/null",
                // Fails at once (and the backend spawns directly) where mapfile cannot split on NUL (bash < 4.4).
                "mapfile -d '' -t a </dev/null || exit 3",
                "echo \"R $BASH_VERSION\" >&9",
                "while IFS= read -r id; do",
                "  kavach_monitor \"$id\" &",
                "done",
                "kill -KILL 0");
    }

    private final Path dir;
    private final String launcherStep;
    private final Map<String, String> env;
    private final FifoPool fifos;
    private final Process server;
    private final OutputStream requests;
    private final Map<String, SpawnedProcess> launches = new ConcurrentHashMap<>();
    private volatile String broken;

    private ForkServer(Path dir, String launcherStep, Map<String, String> env, FifoPool fifos, Process server) throws IOException {
        this.dir = dir;
        this.launcherStep = launcherStep;
        this.env = Map.copyOf(env);
        this.fifos = fifos;
        this.server = server;
        this.requests = server.getOutputStream();
        BufferedReader reports = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.US_ASCII));
        String ready = reports.readLine();
        if (ready == null || !ready.startsWith("R ")) {
            server.destroyForcibly();
            throw new IOException("the fork server did not start (" + stderrOf(server) + ")");
        }
        LOG.debug("fork server {} started: bash {}", server.pid(), ready.substring(2));
        Thread reader = new Thread(() -> readReports(reports), "kavach-fork-server-" + server.pid());
        reader.setDaemon(true);
        reader.start();
        Thread errors = new Thread(() -> logErrors(server), "kavach-fork-server-errors-" + server.pid());
        errors.setDaemon(true);
        errors.start();
        server.onExit().thenRun(() -> serverGone("the fork server " + server.pid() + " exited with " + server.exitValue()));
    }

    /**
     * Starts a fork server for launches of {@code launcherStep} (run with {@code env} in {@code /}), or says why not:
     * it needs bash 4.4+, mkfifo and setsid.
     *
     * @param dir a private directory of Kavach's own for the requests and FIFOs
     */
    static ForkServer start(Path dir, String launcherStep, Map<String, String> env, String hostPath) throws IOException {
        Path bash = HostTools.find("bash", hostPath).orElseThrow(() -> new IOException("bash is not installed"));
        Path mkfifo = HostTools.find("mkfifo", hostPath).orElseThrow(() -> new IOException("mkfifo (coreutils) is not installed"));
        // Its own session and process group are not optional: at the end it kills its group, which must never be Kavach's.
        Path setsid = HostTools.find("setsid", hostPath).orElseThrow(() -> new IOException("setsid (util-linux) is not installed"));
        List<String> argv = new ArrayList<>();
        argv.add(setsid.toString());
        argv.addAll(List.of(bash.toString(), "--noprofile", "--norc", "-c", script(launcherStep), "kavach-fork-server", dir.toString()));
        Process server = ProcessStarter.DIRECT.start(argv, env, Path.of("/"));
        return new ForkServer(dir, launcherStep, env, new FifoPool(dir, mkfifo, env), server);
    }

    /**
     * Whether this server runs {@code argv}: the launcher step exactly as this server holds it, in {@code /}, with the
     * launcher's environment. Anything else is started directly.
     */
    boolean serves(List<String> argv, Map<String, String> env, Path directory) {
        return broken == null && argv.size() > 4 && argv.get(1).equals("-c") && argv.get(2).equals(launcherStep)
                && directory.equals(Path.of("/")) && env.equals(this.env);
    }

    @Override
    public Process start(List<String> argv, Map<String, String> env, Path directory) throws IOException {
        if (!serves(argv, env, directory)) {
            return ProcessStarter.DIRECT.start(argv, env, directory);
        }
        String id = "f" + LAUNCHES.incrementAndGet();
        Path request = dir.resolve(id + ".req");
        FifoPool.Triple triple = fifos.take(dir.resolve(id + ".in"), dir.resolve(id + ".out"), dir.resolve(id + ".err"));
        SpawnedProcess launch = new SpawnedProcess(id, triple, Path.of(argv.get(4)));
        try {
            writeRequest(request, argv.subList(4, argv.size()));
            launches.put(id, launch);
            synchronized (requests) {
                requests.write((id + "\n").getBytes(StandardCharsets.US_ASCII));
                requests.flush();
            }
        } catch (IOException | RuntimeException e) {
            launches.remove(id);
            triple.unlink();
            deleteQuietly(request);
            serverGone("the fork server does not take requests: " + e.getMessage());
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
        // Nothing waits here: the output ends open on the runner's threads, the report of the child comes meanwhile, and
        // the stdin end opens now on a thread of its own, since the monitor opens it first and the command's input may be
        // slow to come (a terminal).
        launch.watch(this::cancel, ANSWER_WITHIN.toNanos());
        launch.openStdinSoon();
        return launch;
    }

    /**
     * Stops a launch that never reported its child: its request goes first, so that a monitor still on its way finds
     * nothing to run; then every FIFO end this side may be waiting on is met by an open of Kavach's own.
     */
    private void cancel(SpawnedProcess launch, String why) {
        deleteQuietly(dir.resolve(launch.id() + ".req"));
        if (!launch.hasStarted()) {
            // Said where the launcher's own failures go (Kavach's private status file), so the exec fails with the reason.
            try {
                Files.writeString(launch.statusFile(), LauncherScript.STATUS_PREFIX + "the fork server did not start the launch: " + why + "\n",
                        StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                // the exec still fails as a launcher failure, without the reason
            }
        }
        launch.fail(why);
    }

    private static void killChild(long pid, long monitorPid) {
        ProcessHandle.of(pid).filter(h -> h.parent().map(ProcessHandle::pid).orElse(-1L) == monitorPid).ifPresent(child -> {
            child.descendants().forEach(ProcessHandle::destroyForcibly);
            child.destroyForcibly();
            LOG.debug("fork server: killed {}, the child of a cancelled launch", pid);
        });
    }

    private void readReports(BufferedReader reports) {
        try {
            for (String line; (line = reports.readLine()) != null; ) {
                String[] fields = line.split(" ", 4);
                SpawnedProcess launch = fields.length >= 3 ? launches.get(fields[1]) : null;
                if (launch == null) {
                    LOG.debug("fork server: a report for no launch: {}", line);
                    continue;
                }
                switch (fields[0]) {
                    case "P" -> {
                        long pid = Long.parseLong(fields[2]);
                        long monitor = fields.length > 3 ? Long.parseLong(fields[3]) : -1;
                        deleteQuietly(dir.resolve(fields[1] + ".req"));
                        if (launch.failed()) {
                            // Cancelled while its monitor was already past the request: it must not run unwatched.
                            killChild(pid, monitor);
                        } else {
                            launch.started(pid, monitor);
                        }
                    }
                    case "X" -> {
                        launches.remove(fields[1]);
                        launch.exited(Integer.parseInt(fields[2]));
                    }
                    case "E" -> {
                        launches.remove(fields[1]);
                        cancel(launch, "the fork server refused it: " + line.substring(2 + fields[1].length()).strip());
                    }
                    default -> LOG.debug("fork server: an unknown report: {}", line);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("fork server: reading its reports failed", e);
        }
        // Every monitor is gone with the reports' last writer: no launch still waiting will ever be answered.
        serverGone("the fork server and all its monitors are gone");
        for (SpawnedProcess launch : List.copyOf(launches.values())) {
            launches.remove(launch.id());
            launch.lost();
        }
    }

    private void serverGone(String why) {
        if (broken == null) {
            broken = why;
            LOG.debug("{}; later launches start directly", why);
        }
        // Launches not yet answered may never be: cancel them (a monitor still alive finds no request).
        for (SpawnedProcess launch : List.copyOf(launches.values())) {
            if (!launch.hasStarted()) {
                cancel(launch, why);
            }
        }
    }

    /** Whether the server still takes launches. */
    boolean usable() {
        return broken == null && server.isAlive();
    }

    long pid() {
        return server.pid();
    }

    /** Ends the server: its input closes, and it kills what is left in its process group. */
    @Override
    public void close() {
        try {
            requests.close();
        } catch (IOException e) {
            // it is going anyway
        }
        try {
            if (!server.waitFor(5, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.destroyForcibly();
        }
        fifos.close();
    }

    private static void writeRequest(Path file, List<String> args) throws IOException {
        StringBuilder text = new StringBuilder();
        for (String arg : args) {
            text.append(arg).append('\0');
        }
        Files.write(file, text.toString().getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    private static void logErrors(Process server) {
        try (BufferedReader errors = new BufferedReader(new InputStreamReader(server.getErrorStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = errors.readLine()) != null; ) {
                LOG.debug("fork server {}: {}", server.pid(), line);
            }
        } catch (IOException e) {
            // gone
        }
    }

    private static String stderrOf(Process server) {
        try {
            server.waitFor(2, TimeUnit.SECONDS);
            byte[] text = server.getErrorStream().readNBytes(2000);
            String message = new String(text, StandardCharsets.UTF_8).strip();
            return message.isEmpty() ? "exit " + (server.isAlive() ? "none yet" : server.exitValue()) : message;
        } catch (IOException | InterruptedException e) {
            return e.getMessage();
        }
    }

    static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // removed with the private directory
        }
    }

}
