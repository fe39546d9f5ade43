package dev.kavach.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.kavach.core.Kavach;
import dev.kavach.core.PluginDiagnostic;
import dev.kavach.core.PluginReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import static java.util.Objects.requireNonNull;

/** {@code kavach plugins}: every file in the plugins directory, loaded or not, with every diagnostic and its fix. */
@Command(name = "plugins", usageHelpAutoWidth = true,
        description = "Lists every plugin file with its id, version, state, backends and diagnostics.")
final class PluginsCommand implements Callable<Integer>, JsonRequest.Flag {
    private final KavachCommand top;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Shows this help and exits.")
    boolean help;

    @Mixin
    LoadOptions load = new LoadOptions();

    @Option(names = "--json", description = "One JSON object on stdout.")
    boolean json;

    @Override
    public boolean json() {
        return json;
    }

    PluginsCommand(KavachCommand top) {
        this.top = requireNonNull(top, "top is null");
    }

    @Override
    public Integer call() {
        PrintStream out = top.invocation().out();
        try (Kavach kavach = top.load(load, Map.of())) {
            List<PluginReport> plugins = kavach.plugins();
            // The CLI always has one (KavachOptions.fromEnvironment defaults it); -D kavach.plugins.dir="" turns it off.
            String dir = kavach.settings().pluginsDir().map(String::valueOf).orElse(null);
            if (json) {
                List<Object> list = new ArrayList<>();
                for (PluginReport plugin : plugins) {
                    list.add(json(plugin));
                }
                Map<String, Object> root = new LinkedHashMap<>();
                root.put("plugins_dir", dir);
                root.put("plugins", list);
                Json.print(out, root);
                return ExitCodes.OK;
            }
            out.println("plugins directory: " + (dir == null ? "none (kavach.plugins.dir is \"\")" : dir));
            if (plugins.isEmpty()) {
                out.println("  (no plugins)");
            }
            for (PluginReport plugin : plugins) {
                out.printf("%s  %s %s  %s  backends: %s%n", plugin.path(),
                        plugin.pluginId() == null ? "?" : plugin.pluginId(), plugin.version() == null ? "?" : plugin.version(),
                        plugin.state(), plugin.backendIds().isEmpty() ? "none" : String.join(", ", plugin.backendIds()));
                for (PluginDiagnostic diagnostic : plugin.diagnostics()) {
                    out.println("    problem: " + diagnostic.reason());
                    if (diagnostic.fix() != null && !diagnostic.fix().isEmpty()) {
                        out.println("    fix:     " + diagnostic.fix());
                    }
                }
            }
            return ExitCodes.OK;
        }
    }

    private static Map<String, Object> json(PluginReport plugin) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("path", plugin.path().toString());
        json.put("id", plugin.pluginId());
        json.put("version", plugin.version());
        json.put("state", plugin.state().name());
        json.put("backends", List.copyOf(plugin.backendIds()));
        List<Object> diagnostics = new ArrayList<>();
        for (PluginDiagnostic diagnostic : plugin.diagnostics()) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("file", diagnostic.file() == null ? null : diagnostic.file().toString());
            item.put("plugin_id", diagnostic.pluginId());
            item.put("reason", diagnostic.reason());
            item.put("fix", diagnostic.fix());
            diagnostics.add(item);
        }
        json.put("diagnostics", diagnostics);
        return json;
    }
}
