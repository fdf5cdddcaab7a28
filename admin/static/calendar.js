/* The admin calendar: draws /admin/api/calendar with the vendored @event-calendar, moves a
 * booking dropped elsewhere and books a clicked free time, both through the panel's data
 * endpoints (the server checks everything: roles, the engine, the policy).
 *
 * Loaded as a file of this server (the CSP allows no inline script). Times are the
 * business's wall clock without an offset, both ways: the calendar shows them as they
 * are, whatever the browser's zone. Every word shown comes from the page or the server,
 * already in the user's language. */
(function () {
  "use strict";

  var root = document.getElementById("calendar");
  if (!root || typeof EventCalendar === "undefined") {
    return;
  }
  var cfg = root.dataset;
  var statusLine = document.getElementById("cal-status");
  var overridePanel = document.getElementById("cal-override");
  var overrideForm = document.getElementById("cal-override-form");
  var bookPanel = document.getElementById("cal-book");
  var bookForm = document.getElementById("cal-book-form");
  var services = {};
  var resources = {};
  var pendingMove = null;
  var pendingBook = null;
  var calendar = null;

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function dayOf(d) {
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }

  /* The wall time the calendar shows, as the server reads it (no offset). */
  function wallOf(d) {
    return dayOf(d) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":00";
  }

  function say(text, kind, reasons) {
    statusLine.textContent = "";
    statusLine.className = "cal-status" + (kind ? " cal-" + kind : "");
    statusLine.appendChild(document.createTextNode(text || ""));
    if (reasons && reasons.length) {
      var list = document.createElement("ul");
      reasons.forEach(function (reason) {
        var item = document.createElement("li");
        item.textContent = reason;
        list.appendChild(item);
      });
      statusLine.appendChild(list);
    }
  }

  function send(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": cfg.csrf },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (answer) {
          return { ok: response.ok, answer: answer };
        });
    });
  }

  function load(query) {
    if (cfg.resource) {
      query += "&resource=" + encodeURIComponent(cfg.resource);
    }
    return fetch(cfg.api + "?" + query, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      return response.json();
    });
  }

  function refused(answer) {
    say(answer.detail || answer.title || cfg.tFailed, "bad", answer.reasons);
  }

  /* --- moving ---------------------------------------------------------------------- */

  function move(info) {
    var props = info.event.extendedProps;
    var body = { booking: props.booking, start: wallOf(info.event.start) };
    // The column it was dropped on; a booking shown in two columns (a doctor and a
    // room) moved in time only keeps its resources when they are free.
    var ids = info.event.resourceIds || [];
    if (info.newResource) {
      body.resource = String(info.newResource.id);
    } else if (ids.length === 1) {
      body.resource = String(ids[0]);
    }
    say(cfg.tMoving, "");
    hide(overridePanel);
    send(cfg.move, body)
      .then(function (result) {
        if (result.ok) {
          say(result.answer.detail, "good");
          calendar.refetchEvents();
          return;
        }
        info.revert();
        refused(result.answer);
        if (result.answer.overridable && cfg.admin === "yes") {
          pendingMove = body;
          overridePanel.hidden = false;
          overridePanel.scrollIntoView({ block: "nearest" });
          document.getElementById("cal-reason").focus({ preventScroll: true });
        }
      })
      .catch(function () {
        info.revert();
        say(cfg.tFailed, "bad");
      });
  }

  function overrideMove(event) {
    event.preventDefault();
    if (!pendingMove) {
      return;
    }
    var reason = document.getElementById("cal-reason").value.trim();
    if (!reason) {
      document.getElementById("cal-reason").focus();
      return;
    }
    var body = Object.assign({}, pendingMove, { override: true, reason: reason });
    say(cfg.tMoving, "");
    send(cfg.move, body)
      .then(function (result) {
        if (result.ok) {
          hide(overridePanel);
          pendingMove = null;
          say(result.answer.detail, "good");
          calendar.refetchEvents();
        } else {
          refused(result.answer);
        }
      })
      .catch(function () {
        say(cfg.tFailed, "bad");
      });
  }

  /* --- booking --------------------------------------------------------------------- */

  function hide(panel) {
    panel.hidden = true;
  }

  function offer(info) {
    if (!info.resource) {
      return;
    }
    var resource = resources[String(info.resource.id)];
    var select = document.getElementById("cal-service");
    select.textContent = "";
    (resource ? resource.extendedProps.services : []).forEach(function (id) {
      var option = document.createElement("option");
      option.value = id;
      option.textContent = services[id] ? services[id].name : id;
      select.appendChild(option);
    });
    if (!select.options.length) {
      say(cfg.tNone, "bad");
      return;
    }
    hide(overridePanel);
    pendingBook = { resource: String(info.resource.id), start: wallOf(info.date) };
    document.getElementById("cal-book-when").textContent =
      (resource ? resource.title + " · " : "") +
      info.date.toLocaleString(cfg.locale, { dateStyle: "full", timeStyle: "short" });
    bookPanel.hidden = false;
    bookPanel.scrollIntoView({ block: "nearest" });
    document.getElementById("cal-name").focus({ preventScroll: true });
  }

  function book(event) {
    event.preventDefault();
    if (!pendingBook) {
      return;
    }
    var phone = document.getElementById("cal-phone").value.trim();
    var email = document.getElementById("cal-email").value.trim();
    if (!phone && !email) {
      say(cfg.tContact, "bad");
      return;
    }
    var body = Object.assign({}, pendingBook, {
      service: document.getElementById("cal-service").value,
      name: document.getElementById("cal-name").value.trim(),
      phone: phone,
      email: email,
    });
    say(cfg.tBooking, "");
    send(cfg.book, body)
      .then(function (result) {
        if (result.ok) {
          hide(bookPanel);
          bookForm.reset();
          pendingBook = null;
          say(result.answer.detail, "good");
          calendar.refetchEvents();
        } else {
          refused(result.answer);
        }
      })
      .catch(function () {
        say(cfg.tFailed, "bad");
      });
  }

  /* --- the calendar ---------------------------------------------------------------- */

  function events(fetchInfo, success, failure) {
    load("start=" + dayOf(fetchInfo.start) + "&end=" + dayOf(fetchInfo.end))
      .then(function (data) {
        success(data.events);
      })
      .catch(function (error) {
        say(cfg.tFailed, "bad");
        failure(error);
      });
  }

  function remember(info) {
    var view = info.view.type === "resourceTimeGridWeek" ? "week" : "day";
    var url = cfg.page + "?date=" + dayOf(info.view.currentStart) + "&view=" + view;
    if (cfg.resource) {
      url += "&resource=" + encodeURIComponent(cfg.resource);
    }
    window.history.replaceState(null, "", url);
    var dateInput = document.getElementById("date");
    var viewSelect = document.getElementById("view");
    if (dateInput) {
      dateInput.value = dayOf(info.view.currentStart);
    }
    if (viewSelect) {
      viewSelect.value = view;
    }
    root.classList.toggle("cal-week", view === "week");
  }

  function start(data) {
    data.services.forEach(function (service) {
      services[service.id] = service;
    });
    data.resources.forEach(function (resource) {
      resources[String(resource.id)] = resource;
    });
    root.classList.add("cal-cols-" + Math.min(data.resources.length, 12));
    calendar = EventCalendar.create(root, {
      view: cfg.view === "week" ? "resourceTimeGridWeek" : "resourceTimeGridDay",
      date: cfg.date,
      locale: cfg.locale,
      firstDay: 1,
      resources: data.resources,
      eventSources: [{ events: events }],
      headerToolbar: {
        start: "prev,next today",
        center: "title",
        end: "resourceTimeGridDay,resourceTimeGridWeek",
      },
      buttonText: function (text) {
        text.today = cfg.tToday;
        text.resourceTimeGridDay = cfg.tDay;
        text.resourceTimeGridWeek = cfg.tWeek;
        return text;
      },
      slotMinTime: data.slotMinTime,
      slotMaxTime: data.slotMaxTime,
      allDaySlot: false,
      nowIndicator: true,
      pointer: true,
      editable: true,
      eventDurationEditable: false,
      eventLongPressDelay: 400,
      height: "auto",
      dateClick: offer,
      eventDrop: move,
      datesSet: remember,
    });
  }

  // The library marks its grid as an ARIA table whose row groups hold more than rows
  // (axe-core: aria-required-children, critical), which misleads a screen reader more than
  // plain text does. Its table roles are taken off as it draws them; the bookings stay
  // buttons with their text, and the Bookings page lists the same day as a real table.
  var TABLE_ROLES = ["table", "rowgroup", "row", "columnheader", "rowheader", "cell", "gridcell"];
  var TABLE_ATTRIBUTES = ["aria-colindex", "aria-colspan", "aria-rowindex", "aria-rowspan"];
  function plainRoles() {
    root.querySelectorAll("[role]").forEach(function (element) {
      if (TABLE_ROLES.indexOf(element.getAttribute("role")) >= 0) {
        element.removeAttribute("role");
      }
    });
    TABLE_ATTRIBUTES.forEach(function (name) {
      root.querySelectorAll("[" + name + "]").forEach(function (element) {
        element.removeAttribute(name);
      });
    });
  }
  new MutationObserver(plainRoles).observe(root, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["role"].concat(TABLE_ATTRIBUTES),
  });

  overrideForm.addEventListener("submit", overrideMove);
  document.getElementById("cal-override-cancel").addEventListener("click", function () {
    hide(overridePanel);
    pendingMove = null;
  });
  bookForm.addEventListener("submit", book);
  document.getElementById("cal-book-cancel").addEventListener("click", function () {
    hide(bookPanel);
    pendingBook = null;
  });

  load("date=" + cfg.date + "&view=" + cfg.view)
    .then(start)
    .catch(function () {
      say(cfg.tFailed, "bad");
    });
})();
