package dev.lbipam.controller;

import io.kubernetes.client.openapi.ApiException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Our patches, and whether the Service cache shows them yet. After a write the informer's copy
 * lags until the watch delivers it; a reconcile in between (the key was queued again meanwhile)
 * would read the Service as it was before our write, and act on that: a Service we just
 * addressed would look as if the user had removed its addresses, and they would be released
 * while the API server shows them. So such a reconcile waits for the watch instead.
 *
 * <p>A merge patch carrying a resourceVersion moves the Service from exactly that version to a
 * new one, and the cache only moves forward: while the cache still has the version a write
 * started from, it is behind; any other version is at or after the write.
 */
final class OwnWrites {
  private final ServiceWriter writer;
  /** Service key -> the resourceVersion our last write replaced. */
  private final Map<String, String> replaced = new ConcurrentHashMap<>();

  OwnWrites(ServiceWriter writer) {
    this.writer = writer;
  }

  /**
   * @return false when the Service changed since it was read (409: decide again from fresh state);
   *     true when written, or when the Service is gone (404)
   */
  boolean patch(ServiceSnapshot service, String mergePatch) throws ApiException {
    ServiceWriter.Written written = writer.patch(service, mergePatch);
    if (written instanceof ServiceWriter.Written.Patched patched) {
      if (!patched.resourceVersion().equals(service.resourceVersion())) {
        replaced.put(service.key(), service.resourceVersion());
      }
      return true;
    }
    return written instanceof ServiceWriter.Written.Gone;
  }

  /** True while the cache still shows this Service as it was before our last write to it. */
  boolean cacheBehind(ServiceSnapshot cached) {
    String before = replaced.get(cached.key());
    if (before == null) {
      return false;
    }
    if (before.equals(cached.resourceVersion())) {
      return true;
    }
    replaced.remove(cached.key(), before);
    return false;
  }

  void forget(String key) {
    replaced.remove(key);
  }
}
