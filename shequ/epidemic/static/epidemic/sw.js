// Service worker for the screening capture page: keeps the last copy of the page and its scripts and styles so
// the page opens again with no signal (the queued submissions themselves live in localStorage, capture.js).
// Served from /epidemic/sw.js so that its scope covers the capture pages.
var CACHE = "shequ-capture-v1";
var CAPTURE = /^\/epidemic\/campaigns\/\d+\/capture\/$/;

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (!(url.pathname.indexOf("/static/") === 0 || CAPTURE.test(url.pathname))) return;
  event.respondWith(
    fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(request).then(function (hit) { return hit || Response.error(); });
    })
  );
});
