package dev.kavach.api;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * One command to run in a sandbox. Build requests with {@link #builder(Command)} (or the {@link #of} and
 * {@link #shell} shortcuts and the {@code with} methods) rather than the canonical constructor: components
 * may be added.
 *
 * <p>The environment rule: the command sees exactly {@link #env()}, plus {@code PATH} (the backend's
 * default) and {@code PWD} (the working directory) where {@code env} sets neither; see {@link SandboxPolicy}.
 *
 * @param command the argument vector or an explicit shell script
 * @param stdin   bytes fed to the command's standard input, then closed; empty for none
 * @param env     the command's complete environment: the host's is never inherited implicitly
 * @param workdir the working directory, as a path the sandbox understands; {@code null} for the
 *                backend's default (a private scratch directory)
 * @param policy  what the sandbox must enforce; while {@code inheritsPolicy}, the {@code basic} preset
 * @param timeout overrides {@code policy.timeout()} when not {@code null}
 * @param stdinSource where stdin comes from, streamed as the command reads it; {@code null} for {@code stdin}'s
 *                bytes. Give one or the other
 * @param files   files placed in the working directory before the command runs (needs {@link Capability#FILES},
 *                or a session); their total size is bounded by the policy's transfer limit
 * @param collect globs ({@link SandboxPaths#checkGlob}) of regular files collected from the working directory
 *                after the command ends, into {@link ExecResult#files()}, also when it failed or timed out; their
 *                total size is bounded by the policy's transfer limit (going over fails the exec's collection with
 *                a {@link TransferLimitExceededException}, never truncates)
 * @param inheritsPolicy true when the request sets no policy of its own ({@link #of}, {@link #shell} and
 *                {@link #builder} without {@link Builder#policy}): a sandbox that Kavach opened then runs it
 *                under Kavach's configured policy (its {@code kavach.conf}), keeping the request's own
 *                {@code timeout} if set. A backend called directly sees {@code policy}, the {@code basic} preset
 */
public record ExecRequest(Command command, byte[] stdin, Map<String, String> env, String workdir, SandboxPolicy policy, Duration timeout,
                          StdinSource stdinSource, List<FileInput> files, List<String> collect, boolean inheritsPolicy) {
    /**
     * The canonical constructor.
     *
     * @deprecated build requests with {@link #builder(Command)}; this constructor changes whenever a component
     *             is added (the old one then stays as a deprecated overload, so compiled plugins keep linking).
     */
    @Deprecated(since = "0.2.0")
    public ExecRequest {
        requireNonNull(command, "command is null");
        if (stdinSource != null && stdin != null && stdin.length > 0) {
            throw new IllegalArgumentException("give stdin as bytes or as a StdinSource, not both");
        }
        stdinSource = stdinSource != null ? stdinSource : stdin == null || stdin.length == 0 ? StdinSource.EMPTY : new StdinSource.Bytes(stdin);
        stdin = new byte[0]; // the source holds it; stdin() reads from there
        env = Map.copyOf(requireNonNull(env, "env is null"));
        requireNonNull(policy, "policy is null");
        for (Map.Entry<String, String> e : env.entrySet()) {
            String key = e.getKey();
            if (key.isEmpty() || key.indexOf('=') >= 0 || key.indexOf('\0') >= 0 || e.getValue().indexOf('\0') >= 0) {
                throw new IllegalArgumentException("invalid environment variable '" + key.replace('\0', '?')
                        + "': names must be non-empty without '=' or NUL, values without NUL");
            }
        }
        if (workdir != null && (workdir.isEmpty() || workdir.indexOf('\0') >= 0)) {
            throw new IllegalArgumentException("workdir must be a non-empty path without NUL bytes");
        }
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
        files = files == null ? List.of() : List.copyOf(files);
        java.util.Set<String> paths = new java.util.HashSet<>();
        for (FileInput file : files) {
            if (!paths.add(file.path())) {
                throw new IllegalArgumentException("file '" + file.path() + "' is given twice; give each path once");
            }
        }
        collect = collect == null ? List.of() : List.copyOf(collect);
        collect.forEach(SandboxPaths::checkGlob);
    }

    /**
     * The canonical constructor before {@code inheritsPolicy}: the request has a policy of its own.
     *
     * @deprecated build requests with {@link #builder(Command)}; kept so that compiled plugins keep linking.
     */
    @Deprecated(since = "0.3.0")
    public ExecRequest(Command command, byte[] stdin, Map<String, String> env, String workdir, SandboxPolicy policy, Duration timeout,
                       StdinSource stdinSource, List<FileInput> files, List<String> collect) {
        this(command, stdin, env, workdir, policy, timeout, stdinSource, files, collect, false);
    }

    /**
     * The canonical constructor before files in and out.
     *
     * @deprecated build requests with {@link #builder(Command)}; kept so that compiled plugins keep linking.
     */
    @Deprecated(since = "0.3.0")
    public ExecRequest(Command command, byte[] stdin, Map<String, String> env, String workdir, SandboxPolicy policy, Duration timeout,
                       StdinSource stdinSource) {
        this(command, stdin, env, workdir, policy, timeout, stdinSource, List.of(), List.of(), false);
    }

    /**
     * The canonical constructor of 0.1.0, before {@link StdinSource}.
     *
     * @deprecated build requests with {@link #builder(Command)}; kept so that compiled plugins keep linking.
     */
    @Deprecated(since = "0.2.0")
    public ExecRequest(Command command, byte[] stdin, Map<String, String> env, String workdir, SandboxPolicy policy, Duration timeout) {
        this(command, stdin, env, workdir, policy, timeout, null, List.of(), List.of(), false);
    }

    /**
     * Runs {@code argv} exactly as given, with an empty environment and no policy of its own: Kavach's
     * configured policy applies (see {@code inheritsPolicy}).
     */
    public static ExecRequest of(String... argv) {
        return of(List.of(argv));
    }

    /** {@link #of(String...)} for a list. */
    public static ExecRequest of(List<String> argv) {
        return builder(new Command.Argv(argv)).build();
    }

    /** Runs {@code script} with {@code /bin/sh -c}, under Kavach's configured policy unless one is set. */
    public static ExecRequest shell(String script) {
        return builder(new Command.ShellScript(script)).build();
    }

    /** A builder for {@code argv}, run exactly as given, with an empty environment and Kavach's configured policy unless one is set. */
    public static Builder builder(String... argv) {
        return builder(new Command.Argv(List.of(argv)));
    }

    /** A builder for {@code command}, with an empty environment and Kavach's configured policy unless one is set. */
    public static Builder builder(Command command) {
        return new Builder(requireNonNull(command, "command is null"));
    }

    /** A builder holding every component of this request, to derive a changed copy. */
    public Builder toBuilder() {
        Builder builder = new Builder(command).stdin(stdinSource).env(env).workdir(workdir).timeout(timeout).files(files)
                .collect(collect);
        builder.policy = policy;
        builder.inheritsPolicy = inheritsPolicy; // a derived copy keeps inheriting until a policy is set
        return builder;
    }

    /** All of stdin in memory (reads a file or stream source whole, and consumes a stream): prefer {@link #stdinSource()}. */
    @Override
    public byte[] stdin() {
        return stdinSource.readAllBytes();
    }

    /** The timeout that applies: {@link #timeout()} if set, else the policy's. */
    public Duration effectiveTimeout() {
        return timeout != null ? timeout : policy.timeout();
    }

    public Optional<String> workdirOptional() {
        return Optional.ofNullable(workdir);
    }

    public ExecRequest withStdin(byte[] value) {
        return toBuilder().stdin(value).build();
    }

    /** Streams stdin from {@code value} (a file, a stream, or bytes) instead of holding it. */
    public ExecRequest withStdin(StdinSource value) {
        return toBuilder().stdin(requireNonNull(value, "value is null")).build();
    }

    public ExecRequest withEnv(Map<String, String> value) {
        return toBuilder().env(value).build();
    }

    /** Adds or replaces one environment variable. */
    public ExecRequest withEnv(String name, String value) {
        Map<String, String> merged = new TreeMap<>(env);
        merged.put(name, value);
        return withEnv(merged);
    }

    public ExecRequest withWorkdir(String value) {
        return toBuilder().workdir(value).build();
    }

    /** This request with a policy of its own, which Kavach's configured policy no longer replaces. */
    public ExecRequest withPolicy(SandboxPolicy value) {
        return toBuilder().policy(value).build();
    }

    public ExecRequest withTimeout(Duration value) {
        return toBuilder().timeout(value).build();
    }

    /** The same request with these files placed before the command. */
    public ExecRequest withFiles(List<FileInput> value) {
        return toBuilder().files(value).build();
    }

    /** The same request collecting the files these globs match after the command. */
    public ExecRequest withCollect(List<String> value) {
        return toBuilder().collect(value).build();
    }

    /** Whether it moves files in or out, and so needs {@link Capability#FILES} outside a session. */
    public boolean movesFiles() {
        return !files.isEmpty() || !collect.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExecRequest other && command.equals(other.command) && stdinSource.equals(other.stdinSource)
                && env.equals(other.env) && java.util.Objects.equals(workdir, other.workdir)
                && policy.equals(other.policy) && inheritsPolicy == other.inheritsPolicy && java.util.Objects.equals(timeout, other.timeout)
                && files.equals(other.files) && collect.equals(other.collect);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(command, stdinSource, env, workdir, policy, inheritsPolicy, timeout, files, collect);
    }

    @Override
    public String toString() {
        return "ExecRequest[command=" + command + ", stdin=" + stdinSource + ", env=" + env.keySet()
                + ", workdir=" + workdir + ", policy=" + (inheritsPolicy ? "inherited" : policy) + ", timeout=" + timeout
                + (files.isEmpty() ? "" : ", files=" + files.stream().map(FileInput::path).toList())
                + (collect.isEmpty() ? "" : ", collect=" + collect) + "]";
    }

    /** Builds an {@link ExecRequest}; values are checked by {@link #build()}. Not thread-safe. */
    public static final class Builder {
        private final Command command;
        private byte[] stdin = new byte[0];
        private StdinSource stdinSource;
        private final Map<String, String> env = new TreeMap<>();
        private String workdir;
        private SandboxPolicy policy = SandboxPolicy.basic();
        private boolean inheritsPolicy = true;
        private Duration timeout;
        private final List<FileInput> files = new java.util.ArrayList<>();
        private final List<String> collect = new java.util.ArrayList<>();

        private Builder(Command command) {
            this.command = command;
        }

        /** Bytes fed to standard input, which is then closed; {@code null} or empty for none. */
        public Builder stdin(byte[] value) {
            this.stdin = value == null ? new byte[0] : value.clone();
            this.stdinSource = null;
            return this;
        }

        /** Where standard input comes from, copied to the command as it reads (a file, a stream, or bytes). */
        public Builder stdin(StdinSource value) {
            this.stdinSource = requireNonNull(value, "stdin is null");
            this.stdin = new byte[0];
            return this;
        }

        /** Replaces the whole environment. */
        public Builder env(Map<String, String> value) {
            env.clear();
            env.putAll(requireNonNull(value, "env is null"));
            return this;
        }

        /** Adds or replaces one environment variable. */
        public Builder env(String name, String value) {
            env.put(requireNonNull(name, "name is null"), requireNonNull(value, "value is null"));
            return this;
        }

        /** The working directory; {@code null} for the backend's private scratch directory. */
        public Builder workdir(String value) {
            this.workdir = value;
            return this;
        }

        /** The request's own policy; without one, Kavach's configured policy applies (see {@code inheritsPolicy}). */
        public Builder policy(SandboxPolicy value) {
            this.policy = requireNonNull(value, "policy is null");
            this.inheritsPolicy = false;
            return this;
        }

        /** Overrides the policy's timeout; {@code null} to use the policy's. */
        public Builder timeout(Duration value) {
            this.timeout = value;
            return this;
        }

        /** Adds a file placed in the working directory before the command runs. */
        public Builder file(FileInput value) {
            files.add(requireNonNull(value, "file is null"));
            return this;
        }

        /** Adds {@code bytes} as the file {@code path} (mode {@code 0644}) placed before the command runs. */
        public Builder file(String path, byte[] bytes) {
            return file(FileInput.of(path, bytes));
        }

        /** Replaces the files placed before the command runs. */
        public Builder files(List<FileInput> value) {
            files.clear();
            files.addAll(requireNonNull(value, "files is null"));
            return this;
        }

        /** Adds globs of files collected from the working directory after the command, e.g. {@code "out/*.txt"}. */
        public Builder collect(String... globs) {
            for (String glob : globs) {
                collect.add(SandboxPaths.checkGlob(glob));
            }
            return this;
        }

        /** Replaces the globs of files collected after the command. */
        public Builder collect(List<String> value) {
            collect.clear();
            requireNonNull(value, "collect is null").forEach(glob -> collect.add(SandboxPaths.checkGlob(glob)));
            return this;
        }

        /** @throws IllegalArgumentException naming what is invalid (an environment name, the workdir, the timeout, a path) */
        @SuppressWarnings("deprecation") // the one place outside the record that may call the canonical constructor
        public ExecRequest build() {
            return new ExecRequest(command, stdinSource == null ? stdin : null, env, workdir, policy, timeout, stdinSource, files, collect,
                    inheritsPolicy);
        }
    }
}
