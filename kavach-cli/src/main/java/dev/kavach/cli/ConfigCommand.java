package dev.kavach.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.kavach.core.ConfigSetting;
import dev.kavach.core.Kavach;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import static java.util.Objects.requireNonNull;

/** {@code kavach config}: the effective configuration, each value with where it came from. */
@Command(name = "config", usageHelpAutoWidth = true,
        description = "Prints the effective configuration (HOCON), each value with its origin as a comment.")
final class ConfigCommand implements Callable<Integer>, JsonRequest.Flag {
    private final KavachCommand top;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Shows this help and exits.")
    boolean help;

    @Mixin
    LoadOptions load = new LoadOptions();

    @Option(names = "--json", description = "One JSON object on stdout: {\"settings\": [{\"key\", \"value\", \"origin\"}...]}, sorted by key.")
    boolean json;

    ConfigCommand(KavachCommand top) {
        this.top = requireNonNull(top, "top is null");
    }

    @Override
    public boolean json() {
        return json;
    }

    @Override
    public Integer call() {
        PrintStream out = top.invocation().out();
        try (Kavach kavach = top.load(load, Map.of())) {
            if (json) {
                printJson(out, kavach);
                return ExitCodes.OK;
            }
            String text = kavach.renderConfig();
            out.print(text.endsWith("\n") ? text : text + "\n");
            return ExitCodes.OK;
        }
    }

    private static void printJson(PrintStream out, Kavach kavach) {
        try (JsonGenerator json = Json.generator(out)) {
            json.writeStartObject();
            json.writeArrayFieldStart("settings");
            for (ConfigSetting setting : kavach.configSettings()) {
                json.writeStartObject();
                json.writeStringField("key", setting.key());
                json.writeFieldName("value");
                json.writeRawValue(setting.json()); // already JSON, rendered by the configuration library
                json.writeStringField("origin", setting.origin());
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.println();
    }
}
