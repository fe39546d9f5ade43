package dev.kavach.core;

import dev.kavach.api.CommandExtension;

import static java.util.Objects.requireNonNull;

/** A discovered {@code kavach <name>} subcommand and where it came from. */
public record ExtensionEntry(CommandExtension extension, BackendOrigin origin) {
    public ExtensionEntry {
        requireNonNull(extension, "extension is null");
        requireNonNull(origin, "origin is null");
    }
}
