package dev.kavach.core;

import dev.kavach.api.BackendContext;
import dev.kavach.api.CommandExtension;
import dev.kavach.core.discovery.PluginCall;

import java.io.PrintStream;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A discovered {@code kavach <name>} subcommand and where it came from. Its methods call the extension
 * through Kavach's plugin guard, so that a failing plugin command is that plugin's diagnostic and never
 * an internal error of Kavach; use them rather than {@link #extension()}'s own.
 */
public final class ExtensionEntry {
    private final CommandExtension extension;
    private final PluginCall guard;
    private final String name;

    /** @param name the extension's {@code name()}, read once (through {@code guard}) when it was registered */
    public ExtensionEntry(CommandExtension extension, PluginCall guard, String name) {
        this.extension = requireNonNull(extension, "extension is null");
        this.guard = requireNonNull(guard, "guard is null");
        this.name = requireNonNull(name, "name is null");
    }

    /** The extension itself, unguarded. */
    public CommandExtension extension() {
        return extension;
    }

    public BackendOrigin origin() {
        return guard.origin();
    }

    public String name() {
        return name;
    }

    public String summary() {
        return guard.callNonNull("summary() of command 'kavach " + name + "'", extension::summary);
    }

    /** The backend whose settings the command receives. */
    public String backendId() {
        return guard.callNonNull("backendId() of command 'kavach " + name + "'", extension::backendId);
    }

    /** Runs the command; returns its exit code. */
    public int run(List<String> args, BackendContext context, PrintStream out, PrintStream err) {
        return guard.call("command 'kavach " + name + "'", () -> extension.run(args, context, out, err));
    }

    @Override
    public String toString() {
        return "kavach " + name + " (" + origin().describe() + ")";
    }
}
