package dev.lbipam.controller;

import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.extended.event.legacy.EventCorrelator;
import io.kubernetes.client.openapi.models.CoreV1Event;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.commons.lang3.tuple.MutablePair;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds the Normal Events that wait for the paced writer. client-java's broadcaster queues without
 * limit and Normal Events yield to address work, so a backlog of 50,000 Services would queue up to
 * 100,000 of them (1.2 KiB each) in the heap. Past the limit (10,000: a burst of 5,000 Services
 * keeps all its Events) a new Normal Event is dropped and counted, as client-go drops Events past
 * 1,000 queued. The broadcaster's worker passes each Event it takes through the correlator, which
 * is where one leaves the queue.
 */
final class EventBacklog {
  static final int DEFAULT_LIMIT = 10_000;
  private static final Logger LOG = LoggerFactory.getLogger(EventBacklog.class);
  private static final long LOG_EVERY_NANOS = 60_000_000_000L;

  private final int limit;
  private final LongSupplier nanoClock;
  private final AtomicInteger waiting = new AtomicInteger();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong lastLogged;

  EventBacklog(int limit, LongSupplier nanoClock) {
    this.limit = limit;
    this.nanoClock = nanoClock;
    this.lastLogged = new AtomicLong(nanoClock.getAsLong() - LOG_EVERY_NANOS);
  }

  /** True when the Event may be queued; false (and counted) when {@code limit} already wait. */
  boolean admit() {
    if (waiting.incrementAndGet() <= limit) {
      return true;
    }
    waiting.decrementAndGet();
    long total = dropped.incrementAndGet();
    long now = nanoClock.getAsLong();
    long last = lastLogged.get();
    if (now - last >= LOG_EVERY_NANOS && lastLogged.compareAndSet(last, now)) {
      LOG.warn("Normal Events dropped: {} wait to be written, behind address work; dropped={} since start", limit, total);
    }
    return false;
  }

  /** One Event left the queue. */
  void taken() {
    waiting.decrementAndGet();
  }

  int waiting() {
    return waiting.get();
  }

  long dropped() {
    return dropped.get();
  }

  /** The broadcaster's correlator, telling this backlog of every Event it takes from the queue. */
  EventCorrelator correlator() {
    return new EventCorrelator() {
      @Override
      public Optional<MutablePair<CoreV1Event, V1Patch>> correlate(CoreV1Event event) {
        taken();
        return super.correlate(event);
      }
    };
  }
}
