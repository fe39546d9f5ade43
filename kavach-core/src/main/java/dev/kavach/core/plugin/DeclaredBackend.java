package dev.kavach.core.plugin;

import dev.kavach.api.BackendSettings;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * One backend a plugin declares in its manifest ({@value #MANIFEST_KEY}), so that Kavach can rank it for
 * {@code kavach.backend = auto} and rule it out without loading the plugin's classes: its id, its
 * {@link dev.kavach.api.BackendInfo#strength() strength}, and the settings that must each name a readable
 * file for it to be available at all ({@code needs-file}, e.g. the {@code vm} backend's guest kernel). A
 * plugin that declares its backends is loaded only when one of them is needed; the declaration is a
 * promise that Kavach checks when the plugin loads.
 *
 * <pre>Kavach-Backends: sev; strength=500; needs-file=kernel, vm; strength=300; needs-file=kernel</pre>
 *
 * @param id         the backend id, as its provider's {@code info().id()}
 * @param strength   its provider's {@code info().strength()}
 * @param needsFiles keys under {@code kavach.backends.<id>} that must each name a readable file
 */
public record DeclaredBackend(String id, int strength, List<String> needsFiles) {
    /** The manifest key. */
    public static final String MANIFEST_KEY = "Kavach-Backends";
    private static final Pattern ID = Pattern.compile("[a-z][a-z0-9-]{0,63}");
    private static final Pattern SETTING = Pattern.compile("[a-z0-9][a-z0-9.-]{0,127}");
    private static final String SYNTAX = MANIFEST_KEY + ": <id>; strength=<n>[; needs-file=<setting>]..., <id>; strength=<n>, ...";

    public DeclaredBackend {
        requireNonNull(id, "id is null");
        needsFiles = List.copyOf(needsFiles);
    }

    /**
     * Why the backend cannot be available with these settings, before any of its code runs: a
     * {@code needs-file} setting that is unset, blank, or names no readable file (read as the backend reads
     * it, {@link BackendSettings#path}). Empty when it may be available: only its probe can tell then.
     */
    public Optional<String> unmetNeed(BackendSettings settings) {
        for (String key : needsFiles) {
            Optional<Path> file;
            try {
                file = settings.path(key);
            } catch (InvalidPathException e) {
                return Optional.empty(); // the backend's own probe reports a malformed setting with its fix
            }
            if (file.isEmpty()) {
                return Optional.of(settings.fullKey(key) + " is unset");
            }
            if (!Files.isReadable(file.get())) {
                return Optional.of(settings.fullKey(key) + " (" + file.get() + ") is not a readable file");
            }
        }
        return Optional.empty();
    }

    /** The declarations in {@code value} (the manifest entry's text); an entry that does not parse is the plugin's problem. */
    static List<DeclaredBackend> parse(String value, DescribedPlugin plugin) throws PluginProblem {
        List<DeclaredBackend> declared = new ArrayList<>();
        Set<String> ids = new LinkedHashSet<>();
        for (String entry : value.split(",", -1)) {
            String[] parts = entry.split(";", -1);
            String id = parts[0].trim();
            if (!ID.matcher(id).matches()) {
                throw invalid(plugin, value, "'" + id + "' is not a backend id ([a-z][a-z0-9-]{0,63})");
            }
            if (!ids.add(id)) {
                throw invalid(plugin, value, "backend '" + id + "' is declared twice");
            }
            Integer strength = null;
            List<String> needs = new ArrayList<>();
            for (int i = 1; i < parts.length; i++) {
                String attribute = parts[i].trim();
                int equals = attribute.indexOf('=');
                String name = equals < 0 ? attribute : attribute.substring(0, equals).trim();
                String text = equals < 0 ? "" : attribute.substring(equals + 1).trim();
                switch (name) {
                    case "strength" -> {
                        if (strength != null) {
                            throw invalid(plugin, value, "backend '" + id + "' has two strengths");
                        }
                        try {
                            strength = Integer.parseInt(text);
                        } catch (NumberFormatException e) {
                            strength = -1;
                        }
                        if (strength < 0) {
                            throw invalid(plugin, value, "the strength of backend '" + id + "' is '" + text + "', not a whole number >= 0");
                        }
                    }
                    case "needs-file" -> {
                        if (!SETTING.matcher(text).matches()) {
                            throw invalid(plugin, value, "needs-file of backend '" + id + "' is '" + text
                                    + "', not a setting under kavach.backends." + id + " such as kernel");
                        }
                        needs.add(text);
                    }
                    default -> throw invalid(plugin, value, "backend '" + id + "' has an unknown attribute '" + attribute
                            + "' (known: strength, needs-file)");
                }
            }
            if (strength == null) {
                throw invalid(plugin, value, "backend '" + id + "' has no strength");
            }
            declared.add(new DeclaredBackend(id, strength, needs));
        }
        return List.copyOf(declared);
    }

    private static PluginProblem invalid(DescribedPlugin plugin, String value, String why) {
        return plugin.problem("plugin '" + plugin.pluginId() + "' has an invalid " + MANIFEST_KEY + " '" + value + "': " + why,
                "write it as " + SYNTAX + ", or remove it (the plugin then loads on every start)");
    }
}
