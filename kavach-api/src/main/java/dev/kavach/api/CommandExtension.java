package dev.kavach.api;

import java.io.PrintStream;
import java.util.List;

/**
 * A {@code kavach <name> ...} subcommand contributed by a backend plugin, found by
 * {@link java.util.ServiceLoader} like {@link BackendProvider}. Lets a plugin ship its own tools
 * ({@code kavach attest}, {@code kavach sev build-image}) without the CLI depending on the plugin.
 */
@Experimental(eta = "1.0")
public interface CommandExtension {
    /** The subcommand name, e.g. {@code "attest"}; must not clash with a built-in command. */
    String name();

    /** One line for {@code kavach --help}. */
    String summary();

    /** The backend whose settings ({@code kavach.backends.<id>}) the command receives. */
    String backendId();

    /**
     * Runs the subcommand. Arguments are everything after the name; {@code --help} should print usage.
     *
     * @return the process exit code
     */
    int run(List<String> args, BackendContext context, PrintStream out, PrintStream err);
}
