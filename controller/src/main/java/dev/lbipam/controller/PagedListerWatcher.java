package dev.lbipam.controller;

import io.kubernetes.client.common.KubernetesListObject;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.informer.ListerWatcher;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.models.V1ListMeta;
import io.kubernetes.client.util.CallGeneratorParams;
import io.kubernetes.client.util.Watch;
import io.kubernetes.client.util.Watchable;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;

/**
 * An informer's list and watch, with the list read in pages of {@value #PAGE} and each item made
 * slim as its page arrives. client-java's own list is one request: at 50,000 Services that is one
 * response of a few hundred MiB held as text and as objects at once, more than the controller's
 * heap. The watch is the usual one.
 *
 * <p>client-java's reflector keeps the list it got in a local variable for as long as it watches,
 * a second copy of every object (the informer's transform makes new ones). The reflector hands the
 * list to its store before it asks for the first watch, on the same thread, so the list is emptied
 * then.
 */
final class PagedListerWatcher<T extends KubernetesObject, L extends KubernetesListObject> implements ListerWatcher<T, L> {
  static final int PAGE = 5000;

  /** One page of the list: at most {@code limit} items after {@code continueToken} (null: the first). */
  interface Pager<L> {
    L page(int limit, String continueToken) throws ApiException;
  }

  /** The watch request for the informer's parameters. */
  interface WatchCall {
    okhttp3.Call call(CallGeneratorParams params) throws ApiException;
  }

  private final ApiClient client;
  private final Pager<L> pager;
  private final WatchCall watchCall;
  private final Type watchType;
  private final UnaryOperator<T> slim;
  private final BiFunction<List<T>, V1ListMeta, L> assemble;
  private volatile List<T> handedOver;

  PagedListerWatcher(ApiClient client, Pager<L> pager, WatchCall watchCall, Type watchType, UnaryOperator<T> slim,
      BiFunction<List<T>, V1ListMeta, L> assemble) {
    this.client = client;
    this.pager = pager;
    this.watchCall = watchCall;
    this.watchType = watchType;
    this.slim = slim;
    this.assemble = assemble;
  }

  @Override
  @SuppressWarnings("unchecked")
  public L list(CallGeneratorParams params) throws ApiException {
    List<T> items = new ArrayList<>();
    String next = null;
    String resourceVersion = null;
    do {
      L page = pager.page(PAGE, next);
      for (Object item : page.getItems()) {
        items.add(slim.apply((T) item));
      }
      V1ListMeta meta = page.getMetadata();
      next = meta == null ? null : meta.getContinue();
      resourceVersion = meta == null ? resourceVersion : meta.getResourceVersion();
    } while (next != null && !next.isEmpty());
    handedOver = items;
    return assemble.apply(items, new V1ListMeta().resourceVersion(resourceVersion));
  }

  @Override
  public Watchable<T> watch(CallGeneratorParams params) throws ApiException {
    List<T> listed = handedOver;
    if (listed != null) {
      handedOver = null;
      listed.clear();
    }
    return Watch.createWatch(client, watchCall.call(params), watchType);
  }
}
