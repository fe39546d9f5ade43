package dev.kavach.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.kavach.api.Command;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.KavachException;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.StdinSource;
import dev.kavach.api.StreamOutput;
import dev.kavach.core.Kavach;
import dev.kavach.core.Sandbox;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import static java.util.Objects.requireNonNull;

/** {@code kavach run}: runs one command in a sandbox, streams its output, exits with its exit code. */
@picocli.CommandLine.Command(name = "run",
        usageHelpAutoWidth = true,
        description = {
            "Runs a command in a sandbox and exits with its exit code.",
            "Its stdout and stderr stream to this terminal's as they arrive. The host environment is not passed on: use --env."},
        footer = {"",
            "Exit codes: the command's own; 124 timed out; 125 Kavach failed or bad usage; 126 not executable; 127 not found;",
            "  128+n when Kavach got signal n (SIGINT 130, SIGTERM 143, SIGHUP 129): the command's whole tree was stopped first.",
            "Examples:",
            "  kavach run -- uname -a",
            "  kavach run --policy strict --memory 256M --timeout 10s -- python3 job.py",
            "  kavach run --shell 'echo out; echo err >&2; exit 3'",
            "  kavach run --put job.py --put data.csv:in/data.csv --get 'out/*.png:results' -- python3 job.py",
            "  kavach run --json -- date"})
final class RunCommand implements Callable<Integer>, JsonRequest.Flag {
    private final KavachCommand top;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Shows this help and exits.")
    boolean help;

    @Mixin
    LoadOptions load = new LoadOptions();

    @Option(names = "--backend", paramLabel = "ID", description = "Backend to use (default: kavach.backend, usually auto).")
    String backend;

    @Option(names = "--policy", paramLabel = "PRESET", converter = FlagValues.Preset.class,
            description = "Policy preset: minimal, basic or strict (default: kavach.policy.preset).")
    String preset;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = FlagValues.Timeout.class,
            description = "Wall-clock limit, e.g. 30s, 5m (default: kavach.timeout).")
    Duration timeout;

    @Option(names = "--memory", paramLabel = "SIZE", converter = FlagValues.MemoryMiB.class,
            description = "Memory limit, e.g. 256M, 2G; 0 for none.")
    Long memoryMiB;

    @Option(names = "--cpus", paramLabel = "N", converter = FlagValues.Cpus.class,
            description = "CPU limit in cores, fractions allowed (0.5); 0 for none.")
    Double cpus;

    @Option(names = "--env", paramLabel = "K=V", description = "Sets an environment variable for the command (repeatable).")
    Map<String, String> env = new LinkedHashMap<>();

    @Option(names = "--workdir", paramLabel = "DIR", description = "Working directory of the command, as the sandbox sees it.")
    String workdir;

    @Option(names = "--stdin", paramLabel = "FILE|-",
            description = "Streams FILE (or this process's stdin, for -) to the command as it reads; any size, never held in memory.")
    String stdin;

    @Option(names = {"-i", "--interactive"}, description = "Streams this process's stdin to the command as it arrives (same as --stdin -).")
    boolean interactive;

    @Option(names = "--put", paramLabel = "LOCAL[:PATH]",
            description = "Copies the host file LOCAL into the command's working directory as PATH (default: its file name), with its "
                    + "permission bits, before the command runs (repeatable). Split at the last ':': a LOCAL with ':' in its name needs :PATH.")
    List<String> puts = new ArrayList<>();

    @Option(names = "--get", paramLabel = "GLOB[:DIR]",
            description = "After the command, also when it failed, copies the regular files of its working directory that GLOB matches "
                    + "('out/*.txt', '**.log') into DIR (default: the current directory), keeping their relative paths (repeatable). "
                    + "Existing regular files are overwritten, as cp does; a symbolic link in the way is replaced, never followed. "
                    + "Together with --put at most kavach.policy.transfer-limit bytes each way; more fails, nothing is cut.")
    List<String> gets = new ArrayList<>();

    @Option(names = "--shell", paramLabel = "SCRIPT", description = "Runs SCRIPT with /bin/sh -c instead of a program.")
    String shell;

    @Option(names = "--dry-run", description = "Prints the host command line the backend would run, then facts such as sev's launch measurement as 'key: value' lines (with --json: one object); runs nothing.")
    boolean dryRun;

    @Option(names = "--json", description = "Prints the whole result as one JSON object on stdout instead of streaming"
            + " (a Kavach failure too, as {\"error\": ...}).")
    boolean json;

    @Parameters(paramLabel = "CMD", arity = "0..*", description = "The program and its arguments, after --.")
    List<String> argv = new ArrayList<>();

    @Override
    public boolean json() {
        return json;
    }

    RunCommand(KavachCommand top) {
        this.top = requireNonNull(top, "top is null");
    }

    @Override
    public Integer call() {
        // Every usage check first: a line with a usage error never loads Kavach (nor, on the fast path, twice).
        ExecRequest unbound = request(command(), stdinSource());
        Map<String, String> overrides = new LinkedHashMap<>();
        if (preset != null) {
            overrides.put("kavach.policy.preset", preset);
        }
        PrintStream out = top.invocation().out();
        PrintStream err = top.invocation().err();
        try (Kavach kavach = top.load(load, overrides)) {
            ExecRequest request = unbound.withPolicy(policy(kavach.policy()));
            if (dryRun) {
                // Starts nothing, so a backend this host cannot run (sev without SEV-SNP) still shows its command line.
                // The configured backend is selected once, and both questions go to it.
                String id = backend != null ? backend : kavach.select().id();
                Optional<List<String>> line = kavach.commandLine(id, request);
                if (line.isEmpty()) {
                    throw new KavachException("backend '" + id + "' runs no host command, so there is none to show",
                            "use --dry-run with a backend that runs one, e.g. --backend process");
                }
                Map<String, String> details = kavach.dryRunDetails(id, request);
                if (json) {
                    Map<String, Object> shown = new LinkedHashMap<>();
                    shown.put("command", ShellQuote.join(line.get()));
                    shown.put("argv", line.get());
                    shown.putAll(details);
                    out.println(Json.write(shown));
                } else {
                    out.println(ShellQuote.join(line.get()));
                    // One "key: value" line each (e.g. "measurement: <hex>" for sev), for scripts to read; a value of
                    // several lines (kubernetes: the objects as YAML) as a YAML block scalar, each line indented.
                    details.forEach((key, value) -> {
                        if (value.indexOf('\n') < 0) {
                            out.println(key + ": " + value);
                        } else {
                            out.println(key + ": |");
                            value.lines().forEach(text -> out.println("  " + text));
                        }
                    });
                }
                return ExitCodes.OK;
            }
            try (Sandbox sandbox = backend != null ? kavach.open(backend) : kavach.open();
                 OutputSpool spool = json ? OutputSpool.create() : null;
                 SignalStop stop = SignalStop.install(sandbox, spool)) {
                ExecResult result;
                if (json) {
                    result = sandbox.exec(request, spool);
                    FileTransfers.write(result.files(), collect);
                    spool.finish();
                    ResultJson.write(out, sandbox.backendId(), result, spool);
                    out.println();
                } else {
                    result = sandbox.exec(request, new TerminalOutput(out, err));
                    out.flush();
                    FileTransfers.write(result.files(), collect);
                }
                int status = exitStatus(result, request, json ? null : err);
                org.slf4j.LoggerFactory.getLogger(RunCommand.class).debug("{} in backend '{}' after {} ms: exit status {}", result.outcome(),
                        sandbox.backendId(), result.duration().toMillis(), status);
                return status;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * A usage error, as picocli reports it; on the fast path ({@link RunLine}, no picocli model) the line is
     * handed to picocli instead, which then finds the same error and reports it the usual way.
     */
    private RuntimeException usageError(String message) {
        return spec == null ? new RunLine.Refused(message) : new ParameterException(spec.commandLine(), message);
    }

    private Command command() {
        if (shell != null && !argv.isEmpty()) {
            throw usageError(
                    "give either --shell SCRIPT or -- CMD ARGS..., not both (got --shell and " + ShellQuote.join(argv) + ")");
        }
        try {
            if (shell != null) {
                return new Command.ShellScript(shell);
            }
            if (argv.isEmpty()) {
                throw usageError("nothing to run: give -- CMD ARGS... or --shell SCRIPT");
            }
            return new Command.Argv(argv);
        } catch (IllegalArgumentException e) {
            throw usageError(e.getMessage());
        }
    }

    /** Where the command's stdin comes from; streamed by the backend, never read here. */
    private StdinSource stdinSource() {
        if (interactive && stdin != null && !stdin.equals("-")) {
            throw usageError("give either -i or --stdin FILE, not both (-i streams this process's stdin)");
        }
        if (interactive || "-".equals(stdin)) {
            return StdinSource.of(top.invocation().in());
        }
        if (stdin == null) {
            return StdinSource.EMPTY;
        }
        Path file;
        try {
            file = top.invocation().workingDirectory().resolve(stdin);
        } catch (InvalidPathException e) {
            throw badStdin("not a path (" + e.getReason() + ")");
        }
        // Checked, not opened: opening a FIFO would block until a writer comes, before the sandbox exists.
        if (!Files.exists(file)) {
            throw badStdin("no such file");
        }
        if (Files.isDirectory(file)) {
            throw badStdin("a directory");
        }
        if (!Files.isReadable(file)) {
            throw badStdin("not readable by this user");
        }
        return StdinSource.of(file);
    }

    private RuntimeException badStdin(String why) {
        return usageError(
                "Invalid value for option '--stdin': '" + stdin + "' is " + why + "; give a readable file, or - for this process's stdin");
    }

    /** The configured policy with this invocation's flags on top. */
    private SandboxPolicy policy(SandboxPolicy configured) {
        SandboxPolicy policy = configured;
        if (timeout != null) {
            policy = policy.withTimeout(timeout);
        }
        if (memoryMiB != null) {
            policy = policy.withMemoryMiB(memoryMiB);
        }
        if (cpus != null) {
            policy = policy.withCpus(cpus);
        }
        return policy;
    }

    /** The {@code --get} options, parsed by {@link #request}. */
    private List<FileTransfers.Get> collect = List.of();

    /** The request the flags describe, every usage error found; the configured policy is bound once Kavach is loaded. */
    private ExecRequest request(Command command, StdinSource input) {
        for (Map.Entry<String, String> e : env.entrySet()) {
            String name = e.getKey();
            if (name.isEmpty() || name.indexOf('\0') >= 0 || e.getValue() == null) {
                throw usageError(
                        "Invalid value for option '--env': '" + name + "=" + e.getValue() + "'; use --env NAME=VALUE with a non-empty NAME");
            }
        }
        Path cwd = top.invocation().workingDirectory();
        List<dev.kavach.api.FileInput> files = new ArrayList<>();
        for (String put : puts) {
            try {
                files.add(FileTransfers.put(put, cwd));
            } catch (IllegalArgumentException e) {
                throw usageError("Invalid value for option '--put': " + e.getMessage());
            }
        }
        List<FileTransfers.Get> parsed = new ArrayList<>();
        for (String get : gets) {
            try {
                parsed.add(FileTransfers.get(get, cwd));
            } catch (IllegalArgumentException e) {
                throw usageError("Invalid value for option '--get': " + e.getMessage());
            }
        }
        collect = List.copyOf(parsed);
        try {
            return ExecRequest.builder(command).stdin(input).env(env).workdir(workdir).files(files)
                    .collect(collect.stream().map(FileTransfers.Get::glob).distinct().toList()).build();
        } catch (IllegalArgumentException e) {
            throw usageError(e.getMessage());
        }
    }

    /**
     * The exit code of {@code kavach run} for this result; with {@code notes} non-null, also says on it what
     * the exit code alone cannot (a timeout, a kill, a failed start, truncated output).
     */
    static int exitStatus(ExecResult result, ExecRequest request, PrintStream notes) {
        if (notes != null) {
            note(notes, "stdout", result.stdout());
            note(notes, "stderr", result.stderr());
        }
        String detail = result.detail().isEmpty() ? "" : ": " + result.detail();
        return switch (result.outcome()) {
            case COMPLETED -> {
                if (result.exitCode() < 0 || result.exitCode() > 255) {
                    if (notes != null) {
                        notes.println("kavach: the command reported exit status " + result.exitCode() + ", which no process can exit with");
                    }
                    yield ExitCodes.KAVACH_FAILED;
                }
                yield result.exitCode();
            }
            case TIMED_OUT -> {
                if (notes != null) {
                    notes.println("kavach: timed out after " + Durations.format(request.effectiveTimeout()) + "; the command was stopped" + detail
                            + " (fix: raise the limit with --timeout)");
                }
                yield ExitCodes.TIMED_OUT;
            }
            case KILLED -> {
                if (notes != null) {
                    notes.println("kavach: the command was killed" + detail);
                }
                yield result.exitCode() > 0 && result.exitCode() <= 255 ? result.exitCode() : 137;
            }
            case FAILED_TO_START -> {
                if (notes != null) {
                    notes.println("kavach: could not start the command" + detail);
                }
                yield result.exitCode() == ExitCodes.NOT_EXECUTABLE ? ExitCodes.NOT_EXECUTABLE : ExitCodes.NOT_FOUND;
            }
        };
    }

    private static void note(PrintStream notes, String name, StreamOutput output) {
        if (output.truncated()) {
            notes.println("kavach: " + name + " was cut at the output limit: " + output.size() + " bytes kept, "
                    + output.droppedBytes() + " dropped (fix: raise it with -D kavach.policy.output-limit=SIZE)");
        }
    }
}
