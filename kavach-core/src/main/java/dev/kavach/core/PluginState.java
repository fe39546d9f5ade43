package dev.kavach.core;

/** Whether a plugin contributed anything. {@link #LOADED} may still carry warnings, e.g. one of two providers failed. */
public enum PluginState {
    LOADED,
    FAILED
}
