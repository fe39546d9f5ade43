package dev.kavach.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.kavach.api.ProbeCheck;
import dev.kavach.core.BackendEntry;
import dev.kavach.core.BackendOrigin;
import dev.kavach.core.Kavach;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import static java.util.Objects.requireNonNull;

/** {@code kavach backends}: every backend found, where from, and whether this host can run it and why not. */
@Command(name = "backends", usageHelpAutoWidth = true,
        description = "Lists every discovered backend with its source, strength, isolation and every probe check.")
final class BackendsCommand implements Callable<Integer>, JsonRequest.Flag {
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

    BackendsCommand(KavachCommand top) {
        this.top = requireNonNull(top, "top is null");
    }

    @Override
    public Integer call() {
        PrintStream out = top.invocation().out();
        try (Kavach kavach = top.load(load, Map.of())) {
            List<BackendEntry> backends = kavach.backends();
            if (json) {
                List<Object> list = new ArrayList<>();
                for (BackendEntry backend : backends) {
                    list.add(json(backend));
                }
                Json.print(out, Map.of("backends", list));
                return ExitCodes.OK;
            }
            if (backends.isEmpty()) {
                out.println("no backends found (plugins directory: " + kavach.settings().pluginsDir().map(String::valueOf).orElse("none") + ")");
            }
            for (BackendEntry backend : backends) {
                print(out, backend);
            }
            return ExitCodes.OK;
        }
    }

    private static void print(PrintStream out, BackendEntry backend) {
        boolean available = backend.availability().available();
        out.printf("%s  %s  (%s, %s isolation, strength %d, %s)%n", backend.id(), available ? "available" : "UNAVAILABLE",
                backend.info().displayName(), backend.info().isolation().name().toLowerCase(java.util.Locale.ROOT),
                backend.info().strength(), backend.origin().describe());
        if (!backend.info().description().isEmpty()) {
            out.println("    " + backend.info().description());
        }
        if (!backend.info().capabilities().isEmpty()) {
            out.println("    capabilities: " + capabilities(backend).stream().collect(java.util.stream.Collectors.joining(", ")));
        }
        for (ProbeCheck check : backend.availability().checks()) {
            String mark = check.passed() ? "ok  " : check.required() ? "FAIL" : "miss";
            out.printf("    [%s] %s: %s%n", mark, check.name(), check.detail());
            if (!check.passed() && !check.fix().isEmpty()) {
                out.printf("           fix: %s%n", check.fix());
            }
        }
    }

    /** What the backend can do beyond single commands (sessions, files), in lower case as the fix of a refusal names them. */
    private static List<String> capabilities(BackendEntry backend) {
        return backend.info().capabilities().stream().map(c -> c.name().toLowerCase(java.util.Locale.ROOT)).toList();
    }

    private static Map<String, Object> json(BackendEntry backend) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", backend.id());
        json.put("display_name", backend.info().displayName());
        json.put("description", backend.info().description());
        json.put("source", backend.origin().describe());
        BackendOrigin origin = backend.origin();
        Map<String, Object> originJson = new LinkedHashMap<>();
        originJson.put("kind", origin.kind().name());
        originJson.put("file", origin.file() == null ? null : origin.file().toString());
        originJson.put("plugin_id", origin.pluginId());
        json.put("origin", originJson);
        json.put("strength", backend.info().strength());
        json.put("isolation", backend.info().isolation().name());
        json.put("capabilities", capabilities(backend));
        json.put("available", backend.availability().available());
        List<Object> checks = new ArrayList<>();
        for (ProbeCheck check : backend.availability().checks()) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("name", check.name());
            item.put("passed", check.passed());
            item.put("required", check.required());
            item.put("detail", check.detail());
            item.put("fix", check.fix());
            checks.add(item);
        }
        json.put("checks", checks);
        return json;
    }
}
