package dev.kavach.cli;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * The fast path of {@code kavach run}, the command users start most: a plain line ({@code run}, its own
 * options in their usual forms, then the command) fills a {@link RunCommand} without picocli, whose first
 * use in a JVM (loading and verifying its classes, reflecting over the annotations, the JDK's annotation
 * proxies) costs more than Kavach's own start and the sandboxed command together. Anything else is
 * {@linkplain Optional#empty() refused} and goes to picocli as before: help, an unknown or repeated
 * option, a value picocli would reject, top-level options before {@code run}, clustered short options.
 * A usage error found later, while the command runs its own checks, is {@link Refused} and also handed to
 * picocli, which reports it as always. {@code RunLineTest} holds both paths to the same fields and answers.
 */
final class RunLine {
    /** Options taking a value; each may be given once (picocli refuses a repeated single-value option). */
    private static final Set<String> SINGLE = Set.of("--backend", "--policy", "--timeout", "--memory", "--cpus", "--workdir",
            "--stdin", "--shell", "--config", "--log-level");
    private static final Set<String> FLAGS = Set.of("--json", "--dry-run", "-i", "--interactive", "-v", "--verbose");

    /** A usage error found on the fast path: picocli is asked to parse the line instead. */
    static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    private RunLine() {
    }

    /** The filled command for {@code args}, or empty when picocli must parse them. */
    static Optional<RunCommand> parse(String[] args, KavachCommand top) {
        if (args.length < 2 || !args[0].equals("run")) {
            return Optional.empty();
        }
        RunCommand run = new RunCommand(top);
        Set<String> seen = new java.util.HashSet<>();
        int i = 1;
        try {
            for (; i < args.length; i++) {
                String arg = args[i];
                if (arg.equals("--")) {
                    i++;
                    break;
                }
                if (!arg.startsWith("-") || arg.equals("-")) {
                    break; // the program: every word from here on is its own
                }
                String name = arg;
                String value = null;
                int equals = arg.indexOf('=');
                if (arg.startsWith("--") && equals > 0) {
                    name = arg.substring(0, equals);
                    value = arg.substring(equals + 1);
                }
                if (FLAGS.contains(name)) {
                    if (value != null || !seen.add(canonical(name))) {
                        return Optional.empty();
                    }
                    switch (canonical(name)) {
                        case "--json" -> run.json = true;
                        case "--dry-run" -> run.dryRun = true;
                        case "--interactive" -> run.interactive = true;
                        case "--verbose" -> run.load.verbose = true;
                        default -> {
                            return Optional.empty();
                        }
                    }
                    continue;
                }
                boolean map = name.equals("--env") || name.equals("-D");
                if (!SINGLE.contains(name) && !map) {
                    return Optional.empty(); // -h, --help, -Dk=v (attached), an unknown or clustered option: picocli's
                }
                if (value == null) {
                    if (i + 1 >= args.length || args[i + 1].startsWith("-")) {
                        return Optional.empty(); // a missing value, or one picocli might read as an option
                    }
                    value = args[++i];
                }
                if (map) {
                    int split = value.indexOf('=');
                    if (split <= 0) {
                        return Optional.empty();
                    }
                    String key = value.substring(0, split);
                    String mapped = value.substring(split + 1);
                    if (name.equals("-D")) {
                        run.load.overrides.put(key, mapped);
                    } else {
                        run.env.put(key, mapped);
                    }
                    continue;
                }
                if (!seen.add(name)) {
                    return Optional.empty();
                }
                switch (name) {
                    case "--backend" -> run.backend = value;
                    case "--policy" -> run.preset = new FlagValues.Preset().convert(value);
                    case "--timeout" -> run.timeout = new FlagValues.Timeout().convert(value);
                    case "--memory" -> run.memoryMiB = new FlagValues.MemoryMiB().convert(value);
                    case "--cpus" -> run.cpus = new FlagValues.Cpus().convert(value);
                    case "--workdir" -> run.workdir = value;
                    case "--stdin" -> run.stdin = value;
                    case "--shell" -> run.shell = value;
                    case "--config" -> run.load.configFile = Path.of(value);
                    case "--log-level" -> run.load.logLevel = new LogLevel.Converter().convert(value);
                    default -> {
                        return Optional.empty();
                    }
                }
            }
        } catch (RuntimeException e) {
            return Optional.empty(); // a value picocli rejects with its own message
        }
        for (; i < args.length; i++) {
            run.argv.add(args[i]);
        }
        return Optional.of(run);
    }

    private static String canonical(String flag) {
        return switch (flag) {
            case "-i" -> "--interactive";
            case "-v" -> "--verbose";
            default -> flag;
        };
    }
}
