package dev.kavach.core.plugin;

import static java.util.Objects.requireNonNull;

/** A reason a plugin cannot load, with its fix; caught per plugin and turned into a diagnostic. */
final class PluginProblem extends Exception {
    private static final long serialVersionUID = 1L;
    private final String fix;

    PluginProblem(String reason, String fix) {
        super(requireNonNull(reason, "reason is null"), null, false, false);
        this.fix = requireNonNull(fix, "fix is null");
    }

    String reason() {
        return getMessage();
    }

    String fix() {
        return fix;
    }
}
