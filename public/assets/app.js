// The SPA's client-side router stand-in: shows which client route was loaded.
document.getElementById("route").textContent = `Client route: ${location.pathname}`;
