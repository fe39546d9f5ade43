package com.example.kavach.launcher;

import dev.kavach.api.BackendSettings;
import dev.kavach.api.Enforcement;

import java.util.List;
import java.util.Set;

/**
 * The backend's settings, read once and checked: the launcher prefix and the policy parts it enforces.
 *
 * @param command  the launcher and its options
 * @param enforces the {@link Enforcement} names the launcher enforces
 */
record LauncherSettings(List<String> command, Set<String> enforces) {
    static final Set<String> ENFORCEABLE = Set.of(Enforcement.NETWORK, Enforcement.FILESYSTEM, Enforcement.SECCOMP, Enforcement.MEMORY,
            Enforcement.PIDS, Enforcement.CPU, Enforcement.OPEN_FILES, Enforcement.FILE_SIZE);

    static LauncherSettings from(BackendSettings settings) {
        List<String> command = settings.list("command");
        if (command.isEmpty()) {
            throw settings.invalid("command", "[]", "a launcher and its options, e.g. [env, \"--\"]");
        }
        List<String> enforces = settings.list("enforces");
        for (String name : enforces) {
            if (!ENFORCEABLE.contains(name)) {
                throw settings.invalid("enforces", name, "a list of " + String.join(", ", ENFORCEABLE.stream().sorted().toList()));
            }
        }
        return new LauncherSettings(List.copyOf(command), Set.copyOf(enforces));
    }
}
