package dev.lbipam.controller;

import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.extended.event.legacy.EventSink;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.util.PatchUtils;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Where Normal Events are written, after the address work that caused them (ADR 0014). Each write
 * waits until no Normal Event has been requested for a quiet period, or until the Event is
 * {@link Policy#maxDelay} old: in a burst the API server spends its time on claims and patches
 * first, and the Events follow as soon as the burst pauses. Warnings do not go through here.
 */
final class PacedEventSink implements EventSink {
  record Policy(Duration quiet, Duration maxDelay) {}

  static final Policy DEFAULT = new Policy(Duration.ofMillis(250), Duration.ofSeconds(20));

  /** How much longer an Event of this age waits, the last request having been this long ago. */
  static long waitNanos(long sinceLastRequestNanos, long ageNanos, Policy policy) {
    long untilQuiet = policy.quiet().toNanos() - sinceLastRequestNanos;
    long untilDue = policy.maxDelay().toNanos() - ageNanos;
    return Math.max(0, Math.min(untilQuiet, untilDue));
  }

  private final CoreV1Api api;
  private final Policy policy;
  private final LongSupplier nanoClock;
  private volatile long lastRequestNanos;
  private volatile boolean closed;

  PacedEventSink(CoreV1Api api, Policy policy, LongSupplier nanoClock) {
    this.api = api;
    this.policy = policy;
    this.nanoClock = nanoClock;
    this.lastRequestNanos = nanoClock.getAsLong() - policy.quiet().toNanos();
  }

  /** Called for every Normal Event the controller records. */
  void requested() {
    lastRequestNanos = nanoClock.getAsLong();
  }

  /** Stops waiting: the Event in hand is written at once (on shutdown). */
  void close() {
    closed = true;
  }

  @Override
  public CoreV1Event create(CoreV1Event event) throws ApiException {
    awaitTurn(event);
    return api.createNamespacedEvent(event.getMetadata().getNamespace(), event).execute();
  }

  @Override
  public CoreV1Event update(CoreV1Event event) throws ApiException {
    awaitTurn(event);
    return api.replaceNamespacedEvent(event.getMetadata().getName(), event.getMetadata().getNamespace(), event).execute();
  }

  @Override
  public CoreV1Event patch(CoreV1Event event, V1Patch patch) throws ApiException {
    awaitTurn(event);
    return PatchUtils.patch(
        CoreV1Event.class,
        () -> api.patchNamespacedEvent(event.getMetadata().getName(), event.getMetadata().getNamespace(), patch).buildCall(null),
        V1Patch.PATCH_FORMAT_STRATEGIC_MERGE_PATCH,
        api.getApiClient());
  }

  private void awaitTurn(CoreV1Event event) {
    long started = nanoClock.getAsLong();
    long ageAtStart = event.getLastTimestamp() == null
        ? 0
        : Math.max(0, Duration.between(event.getLastTimestamp(), OffsetDateTime.now()).toNanos());
    try {
      while (!closed) {
        long now = nanoClock.getAsLong();
        long wait = waitNanos(now - lastRequestNanos, ageAtStart + (now - started), policy);
        if (wait == 0) {
          return;
        }
        TimeUnit.NANOSECONDS.sleep(Math.min(wait, policy.quiet().toNanos()));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
