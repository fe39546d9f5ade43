package dev.kavach.api.process;

import dev.kavach.api.OutputListener;
import dev.kavach.api.StdinSource;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static java.util.Objects.requireNonNull;

/**
 * One host command line for {@link ProcessRunner#run(Launch)}: what to start, with what, and within which
 * bounds. Built with {@link #builder(List)}.
 */
public final class Launch {
    private final List<String> argv;
    private final Map<String, String> env;
    private final Path directory;
    private final StdinSource stdin;
    private final Duration timeout;
    private final long outputLimit;
    private final OutputListener listener;
    private final SpawnScope spawnScope;
    private final ProcessStarter starter;
    private final Consumer<Process> onStart;
    private final boolean ownProcessGroup;
    private final TreeKill treeKill;

    private Launch(Builder b) {
        this.argv = b.argv;
        this.env = Map.copyOf(b.env);
        this.directory = requireNonNull(b.directory, "directory is null");
        this.stdin = b.stdin;
        this.timeout = requireNonNull(b.timeout, "timeout is null");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
        if (b.outputLimit < 0) {
            throw new IllegalArgumentException("outputLimit must be >= 0 (0 = no limit), got " + b.outputLimit);
        }
        this.outputLimit = b.outputLimit;
        this.listener = b.listener;
        this.spawnScope = b.spawnScope;
        this.starter = b.starter;
        this.onStart = b.onStart;
        this.ownProcessGroup = b.ownProcessGroup;
        this.treeKill = b.treeKill;
    }

    /** A launch of {@code argv} (the host command line, passed to {@code execve} as is). */
    public static Builder builder(List<String> argv) {
        return new Builder(argv);
    }

    public List<String> argv() {
        return argv;
    }

    public Map<String, String> env() {
        return env;
    }

    public Path directory() {
        return directory;
    }

    StdinSource stdin() {
        return stdin;
    }

    public Duration timeout() {
        return timeout;
    }

    public long outputLimit() {
        return outputLimit;
    }

    public OutputListener listener() {
        return listener;
    }

    SpawnScope spawnScope() {
        return spawnScope;
    }

    ProcessStarter starter() {
        return starter;
    }

    Consumer<Process> onStart() {
        return onStart;
    }

    /** This launch's own tree kill, or {@code null} for the runner's. */
    TreeKill treeKill() {
        return treeKill;
    }

    public boolean ownProcessGroup() {
        return ownProcessGroup;
    }

    /** Builds a {@link Launch}. The defaults: empty environment, no stdin, no output limit, a 30 s timeout. */
    public static final class Builder {
        private final List<String> argv;
        private Map<String, String> env = Map.of();
        private Path directory;
        private StdinSource stdin = StdinSource.EMPTY;
        private Duration timeout = Duration.ofSeconds(30);
        private long outputLimit;
        private OutputListener listener = OutputListener.NONE;
        private SpawnScope spawnScope = SpawnScope.NONE;
        private ProcessStarter starter = ProcessStarter.DIRECT;
        private Consumer<Process> onStart = process -> { };
        private boolean ownProcessGroup = true;
        private TreeKill treeKill;

        private Builder(List<String> argv) {
            this.argv = List.copyOf(requireNonNull(argv, "argv is null"));
            if (this.argv.isEmpty()) {
                throw new IllegalArgumentException("argv must name a program: it is empty");
            }
            this.directory = Path.of("").toAbsolutePath();
        }

        /** The complete environment of the started process; nothing of the JVM's is inherited. */
        public Builder env(Map<String, String> value) {
            this.env = requireNonNull(value, "env is null");
            return this;
        }

        public Builder directory(Path value) {
            this.directory = requireNonNull(value, "directory is null");
            return this;
        }

        /** Bytes written to standard input, which is then closed. */
        public Builder stdin(byte[] value) {
            this.stdin = StdinSource.of(requireNonNull(value, "stdin is null"));
            return this;
        }

        /** A stream copied to standard input until its end (then closed), instead of bytes. */
        public Builder stdin(InputStream value) {
            this.stdin = StdinSource.of(requireNonNull(value, "stdin is null"));
            return this;
        }

        /**
         * Standard input from a request's {@link StdinSource} ({@link dev.kavach.api.ExecRequest#stdinSource()}):
         * opened on the feeding thread when the command starts and copied as the command reads, chunk by chunk,
         * so that no input is ever held whole. A source that cannot be opened ends the input.
         */
        public Builder stdin(StdinSource value) {
            this.stdin = requireNonNull(value, "stdin is null");
            return this;
        }

        /** The wall-clock limit; on expiry the whole tree is killed. */
        public Builder timeout(Duration value) {
            this.timeout = requireNonNull(value, "timeout is null");
            return this;
        }

        /** Bytes kept per stream; the rest is drained, counted and dropped. 0 for no limit. */
        public Builder outputLimit(long value) {
            this.outputLimit = value;
            return this;
        }

        public Builder listener(OutputListener value) {
            this.listener = requireNonNull(value, "listener is null");
            return this;
        }

        public Builder spawnScope(SpawnScope value) {
            this.spawnScope = requireNonNull(value, "spawnScope is null");
            return this;
        }

        /** What starts the host process: {@link ProcessStarter#DIRECT} (the JVM's {@link ProcessBuilder}) unless set. */
        public Builder starter(ProcessStarter value) {
            this.starter = requireNonNull(value, "starter is null");
            return this;
        }

        /** Told the process as soon as it exists, e.g. so that a closing backend can kill it. */
        public Builder onStart(Consumer<Process> value) {
            this.onStart = requireNonNull(value, "onStart is null");
            return this;
        }

        /**
         * Whether the command starts in a new session and process group ({@code setsid}, when the host has it;
         * the default). Then what it leaves running in the background after it exits, which is no longer
         * its descendant, is still found and killed through the group. Off for a launcher that must keep
         * its session, or one that holds its tree by itself (a PID namespace).
         */
        public Builder ownProcessGroup(boolean value) {
            this.ownProcessGroup = value;
            return this;
        }

        /**
         * How this launch's tree is killed, instead of the runner's {@link ProcessRunner.Builder#treeKill}: for a
         * backend that holds each command in something of its own (the exec's cgroup, a PID namespace whose init
         * its launcher reports), e.g. {@code TreeKill.cgroup(execGroup).andThen(namespaceKill)}. Also what
         * {@link ProcessRunner#close()} uses for this launch while it runs.
         */
        public Builder treeKill(TreeKill value) {
            this.treeKill = requireNonNull(value, "treeKill is null");
            return this;
        }

        public Launch build() {
            return new Launch(this);
        }
    }
}
