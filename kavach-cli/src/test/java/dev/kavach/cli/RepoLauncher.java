package dev.kavach.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** The checkout's {@code ./kavach}, for tests that run Kavach as a user does: a JVM of its own. */
final class RepoLauncher {
    private RepoLauncher() {
    }

    /** The launcher; skips (fails under CI) when the CLI has not been packaged yet. */
    static Path require() {
        Path repo = Path.of(System.getProperty("launcher.repo.root", "..")).toAbsolutePath().normalize();
        Prerequisites.require(Files.isDirectory(repo.resolve("kavach-cli/target/lib")),
                "the CLI built by `./mvnw package`; run the tests with `./mvnw verify`");
        return repo.resolve("kavach");
    }
}
