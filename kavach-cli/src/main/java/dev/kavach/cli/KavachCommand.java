package dev.kavach.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Callable;

import dev.kavach.api.BackendUnavailableException;
import dev.kavach.api.KavachException;
import dev.kavach.core.ExtensionEntry;
import dev.kavach.core.Kavach;
import dev.kavach.core.NoBackendAvailableException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.UsageMessageSpec;
import picocli.CommandLine.Unmatched;

import static java.util.Objects.requireNonNull;

/**
 * {@code kavach}: the top-level command. Built-in subcommands are picocli commands; any other name is
 * looked up among the plugins' {@link dev.kavach.api.CommandExtension}s and handed the rest of the line.
 */
@Command(name = "kavach",
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        synopsisSubcommandLabel = "COMMAND",
        description = "Runs untrusted commands in pluggable sandboxes and reports exactly what happened.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success (kavach run: the command's own exit code)",
            "2:usage error",
            "124:kavach run: the command timed out and was stopped",
            "125:Kavach itself failed (configuration, backend, sandbox)",
            "126:kavach run: the command could not be executed",
            "127:kavach run: the command was not found"},
        footer = {"",
            "Logs go to stderr, never to stdout: -v for debug, --log-level for any level.",
            "The distribution has shell completion and man pages:",
            "  bash, zsh: source completion/kavach.bash (in zsh it loads bashcompinit itself)",
            "  man:  man -l man/man1/kavach.1 (and kavach-run.1, kavach-backends.1, ...)"})
final class KavachCommand implements Callable<Integer> {
    private static final String EXTENSIONS_SECTION = "kavachExtensions";

    private final Invocation invocation;

    @Mixin
    LoadOptions load = new LoadOptions();

    @Unmatched
    List<String> rest = new ArrayList<>();

    private boolean verbose;
    private CommandLine commandLine;

    KavachCommand(Invocation invocation) {
        this.invocation = requireNonNull(invocation, "invocation is null");
    }

    /**
     * Runs {@code kavach args...}: a plain {@code kavach run} line without picocli ({@link RunLine}), any
     * other through picocli's model of the command it names.
     */
    static int execute(Invocation invocation, String[] args) {
        KavachCommand top = new KavachCommand(invocation);
        Optional<RunCommand> plain = RunLine.parse(args, top);
        if (plain.isPresent()) {
            try {
                return plain.get().call();
            } catch (RunLine.Refused e) {
                // a usage error: picocli finds it again and reports it as it reports every other
            } catch (Exception e) {
                return top.onFailure(e, plain.get());
            }
        }
        return commandLine(invocation, args).execute(args);
    }

    /** The built-in commands, which win over any plugin's. */
    static final List<String> BUILT_INS = List.of("run", "backends", "plugins", "config", "setup", "help");

    /** The picocli command line for one invocation, with every built-in, handlers and the plugin section of the help. */
    static CommandLine commandLine(Invocation invocation) {
        return commandLine(invocation, BUILT_INS);
    }

    /**
     * The picocli command line for {@code args}: only the built-in they name is modelled when they name one
     * unambiguously ({@link CommandWord}); picocli reflects over each command it is given, which costs a
     * short-lived process more than the command itself. Help, plugin commands, and anything unusual get all.
     */
    static CommandLine commandLine(Invocation invocation, String[] args) {
        return commandLine(invocation, CommandWord.of(args).filter(BUILT_INS::contains).filter(word -> !word.equals("help"))
                .map(List::of).orElse(BUILT_INS));
    }

    private static CommandLine commandLine(Invocation invocation, List<String> builtIns) {
        KavachCommand top = new KavachCommand(invocation);
        CommandLine cl = new CommandLine(top);
        top.commandLine = cl;
        // Everything from the first unknown word on belongs to a plugin's command: do not parse it here. Set
        // before the built-ins are added, so that they keep rejecting unknown options (`backends --bogus`).
        cl.setStopAtUnmatched(true);
        for (String name : builtIns) {
            cl.addSubcommand(name, switch (name) {
                case "run" -> new RunCommand(top);
                case "backends" -> new BackendsCommand(top);
                case "plugins" -> new PluginsCommand(top);
                case "config" -> new ConfigCommand(top);
                case "setup" -> new SetupCommand(top);
                case "help" -> new CommandLine.HelpCommand();
                default -> throw new IllegalArgumentException("no built-in command " + name);
            });
        }
        // `kavach run ls -la`: after the program name every word is the program's, as with env(1).
        if (cl.getSubcommands().containsKey("run")) {
            cl.getSubcommands().get("run").setStopAtPositional(true);
        }
        cl.setOut(new PrintWriter(invocation.out(), true));
        cl.setErr(new PrintWriter(invocation.err(), true));
        cl.setParameterExceptionHandler(top::onUsageError);
        cl.setExecutionExceptionHandler((ex, command, parseResult) -> top.onFailure(ex, command.getCommand()));

        UsageMessageSpec usage = cl.getCommandSpec().usageMessage();
        List<String> keys = new ArrayList<>(usage.sectionKeys());
        keys.add(keys.indexOf(UsageMessageSpec.SECTION_KEY_COMMAND_LIST) + 1, EXTENSIONS_SECTION);
        usage.sectionKeys(keys);
        usage.sectionMap().put(EXTENSIONS_SECTION, help -> top.extensionsHelp());
        return cl;
    }

    /** Loads Kavach with the top-level options, then {@code command}'s (which win), then {@code overrides}. */
    Kavach load(LoadOptions command, Map<String, String> overrides) {
        LoadOptions merged = command == null ? load.over(null) : command.over(load);
        verbose = merged.verbose || merged.logLevel == LogLevel.Level.DEBUG || merged.logLevel == LogLevel.Level.TRACE;
        LogLevel.configure(merged.logLevel != null ? merged.logLevel : merged.verbose ? LogLevel.Level.DEBUG : null);
        dev.kavach.core.KavachOptions options = merged.toKavachOptions(invocation, overrides);
        // Looked up only now: slf4j-simple reads its level when the first logger is made, which must follow configure.
        org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(KavachCommand.class);
        if (log.isDebugEnabled()) {
            log.debug("kavach {} in {}: configuration file {}, overrides {}", CliVersion.version(), options.workingDirectory(),
                    options.configFile() == null ? "(from the environment)" : options.configFile(), options.overrides().keySet());
        }
        return Kavach.create(options);
    }

    Invocation invocation() {
        return invocation;
    }

    /** The names picocli dispatches itself; they win over any plugin's command. */
    TreeSet<String> builtInNames() {
        return new TreeSet<>(BUILT_INS);
    }

    /** No built-in matched: either nothing was given, or a plugin's command was. */
    @Override
    public Integer call() {
        if (rest.isEmpty()) {
            commandLine.usage(invocation.err());
            return ExitCodes.USAGE;
        }
        String name = rest.get(0);
        if (name.startsWith("-")) {
            invocation.err().println("kavach: unknown option '" + name + "'");
            invocation.err().println("Try 'kavach --help' for usage.");
            return ExitCodes.USAGE;
        }
        try (Kavach kavach = load(null, Map.of())) {
            ExtensionTable table = new ExtensionTable(builtInNames(), kavach.extensions());
            ExtensionEntry entry = table.find(name).orElse(null);
            if (entry == null) {
                List<String> known = new ArrayList<>(builtInNames());
                known.addAll(table.usable().keySet());
                invocation.err().println("kavach: unknown command '" + name + "'; commands: " + String.join(", ", known));
                for (String clash : table.clashes()) {
                    invocation.err().println("kavach: note: plugin command " + clash);
                }
                return ExitCodes.USAGE;
            }
            String backendId = entry.backendId();
            return entry.run(List.copyOf(rest.subList(1, rest.size())), kavach.contextFor(backendId),
                    invocation.out(), invocation.err());
        }
    }

    private String extensionsHelp() {
        StringBuilder text = new StringBuilder();
        try (Kavach kavach = load(null, Map.of())) {
            ExtensionTable table = new ExtensionTable(builtInNames(), kavach.extensions());
            if (!table.usable().isEmpty()) {
                text.append("Commands from plugins:%n".formatted());
                for (Map.Entry<String, ExtensionEntry> e : table.usable().entrySet()) {
                    text.append("  %-10s %s (%s)%n".formatted(e.getKey(), e.getValue().summary(),
                            e.getValue().origin().describe()));
                }
            }
            for (String clash : table.clashes()) {
                text.append("  note: plugin command ").append(clash).append(System.lineSeparator());
            }
        } catch (KavachException e) {
            text.append("Commands from plugins: unavailable: ").append(e.oneLine()).append(System.lineSeparator());
        } catch (RuntimeException e) {
            text.append("Commands from plugins: unavailable: ").append(e).append(System.lineSeparator());
        }
        return text.toString();
    }

    private int onUsageError(CommandLine.ParameterException ex, String[] args) {
        CommandLine command = ex.getCommandLine();
        String name = command.getCommandSpec().qualifiedName();
        String message = ex.getMessage().replace('\n', ' ');
        invocation.err().println(name + ": " + message);
        CommandLine.UnmatchedArgumentException.printSuggestions(ex, invocation.err());
        invocation.err().println("Try '" + name + " --help' for usage.");
        // `kavach run` passes the command's exit codes through, so its own usage errors use 125, as timeout(1) does.
        int code = command.getCommand() instanceof RunCommand ? ExitCodes.KAVACH_FAILED : ExitCodes.USAGE;
        if (JsonRequest.in(args) || command.getCommand() instanceof JsonRequest.Flag flag && flag.json()) {
            JsonRequest.failure(invocation.out(), message, "see '" + name + " --help'", "UsageError", code);
        }
        return code;
    }

    /** Reports a failure of {@code command} (one line, JSON too when asked) and returns Kavach's exit code. */
    int onFailure(Exception ex, Object command) {
        int code = ExitCodes.KAVACH_FAILED;
        if (ex instanceof NoBackendAvailableException none) {
            // kavach.backend = auto found nothing: one line with the fix, one hint; the details are kavach backends' job.
            invocation.err().println("kavach: " + none.oneLine());
            invocation.err().println("kavach: " + NoBackendAvailableException.HINT);
        } else if (ex instanceof BackendUnavailableException unavailable) {
            // Every missing prerequisite already carries its fix in the message: one per line, not all twice on one.
            invocation.err().println("kavach: " + unavailable.getMessage());
        } else if (ex instanceof KavachException failure) {
            invocation.err().println("kavach: " + failure.oneLine());
        } else {
            // Not a user's value (those are KavachExceptions or usage errors): one line, the trace only on request.
            invocation.err().println("kavach: unexpected failure: " + ex + (verbose ? "" : " (run again with -v for the stack trace)"));
        }
        if (verbose) {
            ex.printStackTrace(invocation.err());
        }
        if (command instanceof JsonRequest.Flag flag && flag.json()) {
            if (ex instanceof KavachException failure) {
                JsonRequest.failure(invocation.out(), failure.getMessage(), failure.fix(), failure.getClass().getSimpleName(), code);
            } else {
                JsonRequest.failure(invocation.out(), String.valueOf(ex), "run again with -v for the stack trace",
                        ex.getClass().getSimpleName(), code);
            }
        }
        return code;
    }
}
