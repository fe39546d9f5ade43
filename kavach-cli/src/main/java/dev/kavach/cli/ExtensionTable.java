package dev.kavach.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.kavach.core.ExtensionEntry;

import static java.util.Objects.requireNonNull;

/**
 * The {@code kavach <name>} commands that plugins contribute, resolved against the built-in commands:
 * a built-in name always wins, and of two extensions with one name the first found wins; each loser is
 * reported rather than silently dropped.
 */
final class ExtensionTable {
    private final Map<String, ExtensionEntry> usable = new LinkedHashMap<>();
    private final List<String> clashes = new ArrayList<>();

    ExtensionTable(Set<String> builtIns, List<ExtensionEntry> extensions) {
        requireNonNull(builtIns, "builtIns is null");
        for (ExtensionEntry entry : requireNonNull(extensions, "extensions is null")) {
            String name = entry.name();
            if (builtIns.contains(name)) {
                clashes.add("'" + name + "' from " + entry.origin().describe() + " is hidden by the built-in command of that name"
                        + " (fix: the plugin must rename its command)");
            } else if (usable.containsKey(name)) {
                clashes.add("'" + name + "' from " + entry.origin().describe() + " is hidden by the one from "
                        + usable.get(name).origin().describe() + " (fix: remove one of the two plugins)");
            } else {
                usable.put(name, entry);
            }
        }
    }

    Optional<ExtensionEntry> find(String name) {
        return Optional.ofNullable(usable.get(name));
    }

    Map<String, ExtensionEntry> usable() {
        return usable;
    }

    /** Extensions that cannot be reached, each with why and what to do. */
    List<String> clashes() {
        return List.copyOf(clashes);
    }
}
