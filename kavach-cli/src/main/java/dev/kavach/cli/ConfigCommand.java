package dev.kavach.cli;

import java.util.Map;
import java.util.concurrent.Callable;

import dev.kavach.core.Kavach;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import static java.util.Objects.requireNonNull;

/** {@code kavach config}: the effective configuration, each value with where it came from. */
@Command(name = "config", usageHelpAutoWidth = true,
        description = "Prints the effective configuration (HOCON), each value with its origin as a comment.")
final class ConfigCommand implements Callable<Integer> {
    private final KavachCommand top;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Shows this help and exits.")
    boolean help;

    @Mixin
    LoadOptions load = new LoadOptions();

    ConfigCommand(KavachCommand top) {
        this.top = requireNonNull(top, "top is null");
    }

    @Override
    public Integer call() {
        try (Kavach kavach = top.load(load, Map.of())) {
            String text = kavach.renderConfig();
            top.invocation().out().print(text.endsWith("\n") ? text : text + "\n");
            return ExitCodes.OK;
        }
    }
}
