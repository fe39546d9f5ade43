package dev.kavach.core.fake;

/** A pretend core class that names a backend class, which {@code ArchitectureTest}'s core rule must catch. */
public final class NamesABackend {
    private NamesABackend() {
    }

    public static Object backend() {
        return new dev.kavach.backend.other.OtherBackendClass();
    }
}
