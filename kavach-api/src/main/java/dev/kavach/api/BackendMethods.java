package dev.kavach.api;

/**
 * Which of the two {@code exec} methods a backend class overrides, so that the defaults of
 * {@link SandboxBackend} can call each other without recursing forever when a class overrides neither.
 * Cached per class: the answer never changes and {@code exec} is hot.
 */
final class BackendMethods {
    private static final ClassValue<Boolean> BUFFERED = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            return declaredOutsideInterface(type, ExecRequest.class);
        }
    };
    private static final ClassValue<Boolean> STREAMING = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            return declaredOutsideInterface(type, ExecRequest.class, OutputListener.class);
        }
    };

    private BackendMethods() {
    }

    static boolean implementsBufferedExec(Class<?> type) {
        return BUFFERED.get(type);
    }

    static boolean implementsStreamingExec(Class<?> type) {
        return STREAMING.get(type);
    }

    private static boolean declaredOutsideInterface(Class<?> type, Class<?>... parameters) {
        try {
            return type.getMethod("exec", parameters).getDeclaringClass() != SandboxBackend.class;
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("SandboxBackend.exec is missing", e);
        }
    }
}
