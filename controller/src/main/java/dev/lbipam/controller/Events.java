package dev.lbipam.controller;

import io.kubernetes.client.extended.event.EventType;
import io.kubernetes.client.extended.event.legacy.EventRecorder;
import io.kubernetes.client.openapi.models.V1ObjectReference;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes one Event per state change of a Service: the same warning is not repeated while it
 * stays true. A failed Event never fails a reconcile.
 */
public final class Events {
  private static final Logger LOG = LoggerFactory.getLogger(Events.class);
  private final EventRecorder normals;
  private final EventRecorder warnings;
  private final BooleanSupplier admitNormal;
  private final Map<String, String> lastWarning = new ConcurrentHashMap<>();

  /** Both kinds through one recorder, at once. */
  public Events(EventRecorder recorder) {
    this(recorder, recorder, () -> true);
  }

  /**
   * Normal Events through a (paced) recorder of their own, each first offered to {@code admitNormal}
   * (false: dropped, the queue is full); Warnings at once, never dropped.
   */
  public Events(EventRecorder normals, EventRecorder warnings, BooleanSupplier admitNormal) {
    this.normals = normals;
    this.warnings = warnings;
    this.admitNormal = admitNormal;
  }

  public void normal(ServiceSnapshot service, EventReason reason, String message) {
    lastWarning.remove(service.key());
    if (admitNormal.getAsBoolean()) {
      send(normals, service, EventType.Normal, reason, message);
    }
  }

  public void warning(ServiceSnapshot service, EventReason reason, String message) {
    String state = reason + ":" + message;
    if (state.equals(lastWarning.put(service.key(), state))) {
      return;
    }
    send(warnings, service, EventType.Warning, reason, message);
  }

  public void forget(String key) {
    lastWarning.remove(key);
  }

  private static void send(EventRecorder recorder, ServiceSnapshot service, EventType type, EventReason reason, String message) {
    try {
      // Objects from an informer's first list carry no kind/apiVersion; build the reference ourselves.
      V1ObjectReference ref =
          new V1ObjectReference()
              .kind("Service")
              .apiVersion("v1")
              .namespace(service.namespace())
              .name(service.name())
              .uid(service.uid());
      recorder.event(ref, type, reason.name(), "%s", message);
    } catch (RuntimeException e) {
      LOG.warn("event not recorded service={} reason={} error=\"{}\"", service.key(), reason, e.toString());
    }
  }
}
