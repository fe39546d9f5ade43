package dev.kavach.backend.other;

/** A class of a second pretend backend, which the first may not use (see {@code ArchitectureTest}). */
public final class OtherBackendClass {
}
