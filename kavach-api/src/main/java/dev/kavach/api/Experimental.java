package dev.kavach.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks SPI elements that may still change in an incompatible way before the release named by
 * {@link #eta()}. Everything not marked follows the compatibility rule: additions only, as default
 * methods or new types, so that plugins built against an older API keep linking.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.CONSTRUCTOR, ElementType.FIELD, ElementType.RECORD_COMPONENT})
public @interface Experimental {
    /** The release by which the element is expected to be stable, e.g. {@code "1.0"}. */
    String eta();
}
