package dev.kavach.core.discovery;

import java.util.function.Supplier;

/** Runs plugin code with the plugin's class loader as the thread context loader, as libraries inside plugins expect. */
public final class ThreadContextLoader {
    private ThreadContextLoader() {
    }

    public static <T> T call(ClassLoader loader, Supplier<T> action) {
        if (loader == null) {
            return action.get();
        }
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(loader);
        try {
            return action.get();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }
}
