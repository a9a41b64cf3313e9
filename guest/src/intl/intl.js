// ECMA-402: the Intl object and the locale-sensitive methods of the
// built-ins (toLocaleString and friends, localeCompare, toLocaleUpperCase).
// This file reads options and negotiates locales as the specification says;
// the formatting, collation and segmentation are ICU4X's (intl/*.rs, through
// `natives`). Evaluated once, at wizer time.
(function installIntl(idl, natives) {
  'use strict';
  const DEFAULT_LOCALE = 'en-US';
  const DEFAULT_TIME_ZONE = 'UTC';
  const hidden = (target, name, value) => Object.defineProperty(target, name, {
    value, writable: true, enumerable: false, configurable: true,
  });
  const tag = (Class, name) => Object.defineProperty(Class.prototype, Symbol.toStringTag, {
    value: name, configurable: true,
  });

  // ---- options (ECMA-402 9.2.x) ------------------------------------------

  function toOptions(options) {
    if (options === undefined) return Object.create(null);
    if (options === null) throw new TypeError('Intl: the options argument must be an object, not null');
    return Object(options);
  }

  // GetOption: a string (or boolean) option, checked against `values`.
  function option(options, name, type, values, fallback) {
    let value = options[name];
    if (value === undefined) return fallback;
    if (type === 'boolean') value = Boolean(value);
    else value = String(value);
    if (values !== undefined && !values.includes(value)) {
      throw new RangeError(`Value ${value} out of range for Intl option property ${name}`);
    }
    return value;
  }

  // DefaultNumberOption / GetNumberOption.
  function numberIn(value, minimum, maximum, fallback, name) {
    if (value === undefined) return fallback;
    const number = Number(value);
    if (Number.isNaN(number) || number < minimum || number > maximum) {
      throw new RangeError(`${name} value is out of range.`);
    }
    return Math.floor(number);
  }
  const numberOption = (options, name, minimum, maximum, fallback) =>
    numberIn(options[name], minimum, maximum, fallback, name);

  // ---- locales (ECMA-402 9.2.1 to 9.2.7) ---------------------------------

  const canonicalCache = new Map();
  function canonicalize(tagText) {
    let canonical = canonicalCache.get(tagText);
    if (canonical === undefined) {
      canonical = natives.canonicalizeLocale(tagText);
      if (canonicalCache.size < 256) canonicalCache.set(tagText, canonical);
    }
    return canonical;
  }

  function canonicalizeLocaleList(locales) {
    if (locales === undefined) return [];
    const seen = [];
    const list = typeof locales === 'string' || locales instanceof Locale ? [locales] : Object(locales);
    const length = Math.min(Number(list.length) || 0, 2 ** 32 - 1);
    for (let k = 0; k < length; k++) {
      if (!(k in list)) continue;
      const element = list[k];
      if (typeof element !== 'string' && (typeof element !== 'object' || element === null)) {
        throw new TypeError('Intl: a locale must be a string or an Intl.Locale');
      }
      const text = element instanceof Locale ? element.toString() : String(element);
      const canonical = canonicalize(text);
      if (!seen.includes(canonical)) seen.push(canonical);
    }
    return seen;
  }

  // Splits a canonical tag into its base name and its -u- keywords.
  function splitTag(text) {
    const parts = text.split('-');
    const keywords = new Map();
    let base = [];
    let i = 0;
    for (; i < parts.length && !(parts[i].length === 1 && i > 0); i++) base.push(parts[i]);
    const rest = [];
    while (i < parts.length) {
      const singleton = parts[i++];
      if (singleton === 'u') {
        let key = null;
        while (i < parts.length && parts[i].length !== 1) {
          const part = parts[i++];
          if (part.length === 2) {
            key = part;
            keywords.set(key, '');
          } else if (key !== null) {
            keywords.set(key, keywords.get(key) ? `${keywords.get(key)}-${part}` : part);
          }
        }
      } else {
        const chunk = [singleton];
        while (i < parts.length && (parts[i].length !== 1 || singleton === 'x')) chunk.push(parts[i++]);
        rest.push(chunk.join('-'));
      }
    }
    return { base: base.join('-'), keywords, rest };
  }

  const supportedCache = new Map();
  function supported(base) {
    let answer = supportedCache.get(base);
    if (answer === undefined) {
      answer = natives.localeSupported(base);
      supportedCache.set(base, answer);
    }
    return answer;
  }

  // The best available locale for `requested` (lookup matching: each tag,
  // then its shorter prefixes), with its -u- keywords.
  // The longest prefix of `text`'s base name isobox has data for (lookup
  // matching: the tag, then its shorter prefixes), or undefined.
  function availableLocale(text) {
    let prefix = splitTag(text).base;
    while (prefix) {
      if (supported(prefix)) return prefix;
      const cut = prefix.lastIndexOf('-');
      if (cut < 0) return undefined;
      prefix = prefix.slice(0, cut);
      if (prefix.length >= 2 && prefix[prefix.length - 2] === '-') prefix = prefix.slice(0, -2);
    }
    return undefined;
  }

  // The best available locale for `requested`, with its -u- keywords.
  function lookup(requested) {
    for (const candidate of requested) {
      const locale = availableLocale(candidate);
      if (locale !== undefined) return { locale, keywords: splitTag(candidate).keywords };
    }
    return { locale: DEFAULT_LOCALE, keywords: new Map() };
  }

  // ResolveLocale: the locale and the values of the service's keywords
  // (from the tag, overridden by options; each checked against `allowed`).
  function resolveLocale(locales, options, keys) {
    const requested = canonicalizeLocaleList(locales);
    option(options, 'localeMatcher', 'string', ['lookup', 'best fit'], 'best fit');
    const { locale, keywords } = lookup(requested);
    const values = {};
    const used = [];
    for (const [key, allowed, fromOptions] of keys) {
      let value = keywords.has(key) ? keywords.get(key) : undefined;
      if (value === '' && (key === 'kn')) value = 'true';
      if (value !== undefined && allowed && !allowed(value)) value = undefined;
      let fromTag = value !== undefined;
      if (fromOptions !== undefined) {
        if (value !== fromOptions) fromTag = false;
        value = fromOptions;
      }
      values[key] = value;
      if (fromTag) used.push(`${key}-${value}`);
    }
    const resolved = used.length ? `${locale}-u-${used.join('-')}` : locale;
    return { locale: resolved, base: locale, values };
  }

  // The tag handed to ICU4X: the base name and the keywords that apply.
  function dataLocale(base, pairs) {
    const parts = pairs.filter(([, value]) => value !== undefined && value !== null).map(([k, v]) => `${k}-${v}`);
    return parts.length ? `${base}-u-${parts.join('-')}` : base;
  }

  const CALENDARS = ['buddhist', 'chinese', 'coptic', 'dangi', 'ethioaa', 'ethiopic', 'gregory', 'hebrew',
    'indian', 'islamic-civil', 'islamic-tbla', 'islamic-umalqura', 'iso8601', 'japanese', 'persian', 'roc'];
  const NUMBERING_SYSTEMS = ['arab', 'arabext', 'bali', 'beng', 'deva', 'fullwide', 'gujr', 'guru', 'hanidec',
    'khmr', 'knda', 'laoo', 'latn', 'limb', 'mlym', 'mong', 'mymr', 'orya', 'tamldec', 'telu', 'thai', 'tibt'];
  const COLLATIONS = ['compat', 'emoji', 'eor', 'phonebk', 'pinyin', 'searchjl', 'stroke', 'trad', 'unihan', 'zhuyin'];
  const HOUR_CYCLES = ['h11', 'h12', 'h23', 'h24'];
  const TYPE_SEQUENCE = /^[a-z0-9]{3,8}(-[a-z0-9]{3,8})*$/i;

  function typeOption(options, name) {
    const value = option(options, name, 'string', undefined, undefined);
    if (value !== undefined && !TYPE_SEQUENCE.test(value)) throw new RangeError(`Invalid ${name}: ${value}`);
    return value === undefined ? undefined : value.toLowerCase();
  }

  function supportedLocalesOf(locales, options) {
    const requested = canonicalizeLocaleList(locales);
    option(toOptions(options), 'localeMatcher', 'string', ['lookup', 'best fit'], 'best fit');
    return requested.filter((text) => availableLocale(text) !== undefined);
  }

  // Brand checks: the natives live in private fields.
  function bound(self, slot, make) {
    let fn = self[slot];
    if (fn === undefined) {
      fn = make();
      Object.defineProperty(self, slot, { value: fn, enumerable: false });
    }
    return fn;
  }

  // ---- Intl.Locale ------------------------------------------------------

  class Locale {
    #tag;
    #parsed;
    constructor(tagArgument, options = undefined) {
      if (new.target === undefined) throw new TypeError("Constructor Intl.Locale requires 'new'");
      if (typeof tagArgument !== 'string' && (typeof tagArgument !== 'object' || tagArgument === null)) {
        throw new TypeError('Intl.Locale: the tag must be a string or an Intl.Locale');
      }
      let text = tagArgument instanceof Locale ? tagArgument.toString() : String(tagArgument);
      const opts = toOptions(options);
      let { base, keywords, rest } = splitTag(canonicalize(text));
      let [language, ...subtags] = base.split('-');
      let script = subtags.find((s) => s.length === 4 && /^[a-z]+$/i.test(s));
      let region = subtags.find((s) => (s.length === 2 && /^[a-z]+$/i.test(s)) || /^\d{3}$/.test(s));
      const variants = subtags.filter((s) => s !== script && s !== region);
      const languageOption = option(opts, 'language', 'string', undefined, undefined);
      if (languageOption !== undefined) {
        if (!/^([a-z]{2,3}|[a-z]{5,8})$/i.test(languageOption)) throw new RangeError(`Invalid language: ${languageOption}`);
        language = languageOption;
      }
      const scriptOption = option(opts, 'script', 'string', undefined, undefined);
      if (scriptOption !== undefined) {
        if (!/^[a-z]{4}$/i.test(scriptOption)) throw new RangeError(`Invalid script: ${scriptOption}`);
        script = scriptOption;
      }
      const regionOption = option(opts, 'region', 'string', undefined, undefined);
      if (regionOption !== undefined) {
        if (!/^([a-z]{2}|\d{3})$/i.test(regionOption)) throw new RangeError(`Invalid region: ${regionOption}`);
        region = regionOption;
      }
      const set = (key, value) => { if (value !== undefined) keywords.set(key, value); };
      set('ca', typeOption(opts, 'calendar'));
      set('co', typeOption(opts, 'collation'));
      set('hc', option(opts, 'hourCycle', 'string', HOUR_CYCLES, undefined));
      set('kf', option(opts, 'caseFirst', 'string', ['upper', 'lower', 'false'], undefined));
      const numeric = option(opts, 'numeric', 'boolean', undefined, undefined);
      if (numeric !== undefined) keywords.set('kn', String(numeric));
      set('nu', typeOption(opts, 'numberingSystem'));
      const baseName = [language, script, region, ...variants].filter(Boolean).join('-');
      const sortedKeys = [...keywords.keys()].sort();
      const unicode = sortedKeys.map((key) => (keywords.get(key) ? `${key}-${keywords.get(key)}` : key)).join('-');
      const extensions = [...rest];
      if (unicode) extensions.push(`u-${unicode}`);
      extensions.sort();
      text = [baseName, ...extensions].join('-');
      this.#tag = canonicalize(text);
      this.#parsed = splitTag(this.#tag);
    }
    #subtags() {
      return this.#parsed.base.split('-');
    }
    #keyword(key) {
      const value = this.#parsed.keywords.get(key);
      if (key === 'kn') return value === undefined ? undefined : value !== 'false';
      return value === '' ? undefined : value;
    }
    toString() { return this.#tag; }
    toJSON() { return this.#tag; }
    get baseName() { return this.#parsed.base; }
    get language() { return this.#subtags()[0]; }
    get script() { return this.#subtags().slice(1).find((s) => s.length === 4 && /^[A-Z][a-z]{3}$/.test(s)); }
    get region() { return this.#subtags().slice(1).find((s) => /^([A-Z]{2}|\d{3})$/.test(s)); }
    get variants() {
      const list = this.#subtags().slice(1).filter((s) => !/^([A-Z][a-z]{3}|[A-Z]{2}|\d{3})$/.test(s));
      return list.length ? list.join('-') : undefined;
    }
    get calendar() { return this.#keyword('ca'); }
    get collation() { return this.#keyword('co'); }
    get hourCycle() { return this.#keyword('hc'); }
    get caseFirst() { return this.#keyword('kf'); }
    get numeric() { return this.#keyword('kn') ?? false; }
    get numberingSystem() { return this.#keyword('nu'); }
    maximize() { return new Locale(natives.maximizeLocale(this.#tag)); }
    minimize() { return new Locale(natives.minimizeLocale(this.#tag)); }
    getCalendars() { return [this.calendar ?? 'gregory']; }
    getCollations() { return [this.collation ?? 'default']; }
    getHourCycles() { return [this.hourCycle ?? defaultHourCycle(this.#tag)]; }
    getNumberingSystems() { return [this.numberingSystem ?? 'latn']; }
    getTimeZones() { return undefined; }
    getTextInfo() {
      const rtl = ['ar', 'fa', 'he', 'ur', 'ps', 'sd', 'ug', 'yi', 'dv', 'ckb'];
      return { direction: rtl.includes(this.language) ? 'rtl' : 'ltr' };
    }
  }
  tag(Locale, 'Intl.Locale');

  // ---- Intl.DateTimeFormat ---------------------------------------------

  const hourCycleCache = new Map();
  // The hour cycle a locale uses by default: 13:00 formatted with the
  // locale's preferred hour ('j') shows 13 on a 24-hour clock.
  function defaultHourCycle(locale) {
    const base = splitTag(locale).base || DEFAULT_LOCALE;
    let cycle = hourCycleCache.get(base);
    if (cycle === undefined) {
      const formatter = natives.newDateTimeFormat(base, 'j', '', '', 'UTC');
      const text = natives.formatDateTime(formatter, Date.UTC(2000, 0, 1, 13));
      cycle = /13/.test(text) ? 'h23' : 'h12';
      hourCycleCache.set(base, cycle);
    }
    return cycle;
  }

  const DATE_FIELDS = [
    ['weekday', ['narrow', 'short', 'long']],
    ['era', ['narrow', 'short', 'long']],
    ['year', ['2-digit', 'numeric']],
    ['month', ['2-digit', 'numeric', 'narrow', 'short', 'long']],
    ['day', ['2-digit', 'numeric']],
    ['dayPeriod', ['narrow', 'short', 'long']],
    ['hour', ['2-digit', 'numeric']],
    ['minute', ['2-digit', 'numeric']],
    ['second', ['2-digit', 'numeric']],
    ['fractionalSecondDigits', null],
    ['timeZoneName', ['short', 'long', 'shortOffset', 'longOffset', 'shortGeneric', 'longGeneric']],
  ];
  const STYLES = ['full', 'long', 'medium', 'short'];

  function skeletonOf(fields, hourSymbol) {
    const width = { narrow: 5, short: 3, long: 4 };
    let skeleton = '';
    if (fields.era) skeleton += 'G'.repeat(fields.era === 'long' ? 4 : fields.era === 'narrow' ? 5 : 1);
    if (fields.year) skeleton += fields.year === '2-digit' ? 'yy' : 'y';
    if (fields.month) {
      skeleton += fields.month === 'numeric' ? 'M' : fields.month === '2-digit' ? 'MM' : 'M'.repeat(width[fields.month]);
    }
    if (fields.weekday) skeleton += 'E'.repeat(fields.weekday === 'short' ? 1 : width[fields.weekday]);
    if (fields.day) skeleton += fields.day === '2-digit' ? 'dd' : 'd';
    if (fields.dayPeriod) skeleton += 'B'.repeat(fields.dayPeriod === 'short' ? 1 : width[fields.dayPeriod]);
    if (fields.hour) skeleton += fields.hour === '2-digit' ? hourSymbol.repeat(2) : hourSymbol;
    if (fields.minute) skeleton += fields.minute === '2-digit' ? 'mm' : 'm';
    if (fields.second) skeleton += fields.second === '2-digit' ? 'ss' : 's';
    if (fields.fractionalSecondDigits) skeleton += 'S'.repeat(fields.fractionalSecondDigits);
    const zone = { short: 'z', long: 'zzzz', shortOffset: 'O', longOffset: 'OOOO', shortGeneric: 'v', longGeneric: 'vvvv' };
    if (fields.timeZoneName) skeleton += zone[fields.timeZoneName];
    return skeleton;
  }

  function timeValue(date) {
    const time = date === undefined ? Date.now() : Number(date instanceof Date ? date.getTime() : date);
    if (!Number.isFinite(time) || Math.abs(time) > 8.64e15) throw new RangeError('Invalid time value');
    return Math.trunc(time) + 0;
  }

  class DateTimeFormat {
    #native;
    #resolved;
    constructor(locales = undefined, options = undefined) {
      const { native, resolved } = createDateTimeFormat(locales, options, 'any', 'date');
      this.#native = native;
      this.#resolved = resolved;
    }
    static #check(self, method) {
      if (!(#native in Object(self))) throw new TypeError(`Intl.DateTimeFormat.prototype.${method}: 'this' is not an Intl.DateTimeFormat`);
      return self;
    }
    get format() {
      const self = DateTimeFormat.#check(this, 'format');
      return bound(self, formatSlot, () => {
        const native = self.#native;
        return (date) => natives.formatDateTime(native, timeValue(date));
      });
    }
    formatToParts(date) {
      return natives.formatDateTimeToParts(DateTimeFormat.#check(this, 'formatToParts').#native, timeValue(date));
    }
    formatRange(start, end) {
      DateTimeFormat.#check(this, 'formatRange');
      if (start === undefined || end === undefined) throw new TypeError('Intl.DateTimeFormat.prototype.formatRange: two dates are required');
      const a = natives.formatDateTime(this.#native, timeValue(start));
      const b = natives.formatDateTime(this.#native, timeValue(end));
      return a === b ? a : `${a} – ${b}`;
    }
    formatRangeToParts(start, end) {
      DateTimeFormat.#check(this, 'formatRangeToParts');
      if (start === undefined || end === undefined) throw new TypeError('Intl.DateTimeFormat.prototype.formatRangeToParts: two dates are required');
      const a = natives.formatDateTimeToParts(this.#native, timeValue(start));
      const b = natives.formatDateTimeToParts(this.#native, timeValue(end));
      const same = a.length === b.length && a.every((part, i) => part.value === b[i].value);
      if (same) return a.map((part) => ({ ...part, source: 'shared' }));
      return [...a.map((part) => ({ ...part, source: 'startRange' })), { type: 'literal', value: ' – ', source: 'shared' },
        ...b.map((part) => ({ ...part, source: 'endRange' }))];
    }
    resolvedOptions() {
      return { ...DateTimeFormat.#check(this, 'resolvedOptions').#resolved };
    }
    static supportedLocalesOf(locales, options = undefined) {
      return supportedLocalesOf(locales, options);
    }
  }
  const formatSlot = Symbol('bound format');
  tag(DateTimeFormat, 'Intl.DateTimeFormat');

  // CreateDateTimeFormat, with ToDateTimeOptions's `required`/`defaults`
  // for the toLocale*String methods.
  function createDateTimeFormat(locales, options, required, defaults) {
    const opts = toOptions(options);
    const calendar = typeOption(opts, 'calendar');
    const numberingSystem = typeOption(opts, 'numberingSystem');
    const hour12 = option(opts, 'hour12', 'boolean', undefined, undefined);
    let hourCycle = option(opts, 'hourCycle', 'string', HOUR_CYCLES, undefined);
    if (hour12 !== undefined) hourCycle = null;
    const resolution = resolveLocale(locales, opts, [
      ['ca', (v) => CALENDARS.includes(v), calendar !== undefined && CALENDARS.includes(calendar) ? calendar : undefined],
      ['hc', (v) => HOUR_CYCLES.includes(v), hourCycle === null ? undefined : hourCycle],
      ['nu', (v) => NUMBERING_SYSTEMS.includes(v), numberingSystem !== undefined && NUMBERING_SYSTEMS.includes(numberingSystem) ? numberingSystem : undefined],
    ]);
    let timeZone = opts.timeZone;
    if (timeZone === undefined) timeZone = DEFAULT_TIME_ZONE;
    else {
      const name = natives.timeZoneName(String(timeZone));
      if (name === undefined) throw new RangeError(`Invalid time zone specified: ${String(timeZone)}`);
      timeZone = name;
    }
    const fields = {};
    let any = false;
    for (const [name, values] of DATE_FIELDS) {
      const value = name === 'fractionalSecondDigits'
        ? numberOption(opts, name, 1, 3, undefined)
        : option(opts, name, 'string', values, undefined);
      if (value !== undefined) {
        fields[name] = value;
        any = true;
      }
    }
    option(opts, 'formatMatcher', 'string', ['basic', 'best fit'], 'best fit');
    const dateStyle = option(opts, 'dateStyle', 'string', STYLES, undefined);
    const timeStyle = option(opts, 'timeStyle', 'string', STYLES, undefined);
    if ((dateStyle !== undefined || timeStyle !== undefined) && any) {
      throw new TypeError(`Intl.DateTimeFormat: dateStyle and timeStyle cannot be combined with ${Object.keys(fields)[0]}`);
    }
    if (dateStyle !== undefined && required === 'time') throw new TypeError('toLocaleTimeString: dateStyle cannot be used');
    if (timeStyle !== undefined && required === 'date') throw new TypeError('toLocaleDateString: timeStyle cannot be used');
    if (dateStyle === undefined && timeStyle === undefined) {
      let needDefaults = true;
      if (required === 'date' || required === 'any') {
        if (['weekday', 'year', 'month', 'day'].some((k) => fields[k] !== undefined)) needDefaults = false;
      }
      if (required === 'time' || required === 'any') {
        if (['dayPeriod', 'hour', 'minute', 'second', 'fractionalSecondDigits'].some((k) => fields[k] !== undefined)) needDefaults = false;
      }
      if (needDefaults && (defaults === 'date' || defaults === 'all')) {
        fields.year = 'numeric';
        fields.month = 'numeric';
        fields.day = 'numeric';
      }
      if (needDefaults && (defaults === 'time' || defaults === 'all')) {
        fields.hour = 'numeric';
        fields.minute = 'numeric';
        fields.second = 'numeric';
      }
    }
    const calendarValue = resolution.values.ca ?? 'gregory';
    const numbering = resolution.values.nu ?? 'latn';
    // The hour cycle: hour12 wins over hourCycle, which wins over -u-hc.
    // Only a format that shows the hour needs the locale's hour cycle (it
    // costs a formatter of its own the first time a run asks).
    const usesHour = fields.hour !== undefined || timeStyle !== undefined;
    let cycle;
    if (usesHour) {
      const localeCycle = defaultHourCycle(resolution.base);
      cycle = resolution.values.hc ?? localeCycle;
      if (hour12 !== undefined) cycle = hour12 ? (localeCycle === 'h11' ? 'h11' : 'h12') : 'h23';
    }
    const hourSymbol = cycle === 'h11' || cycle === 'h12' ? 'h' : 'H';
    const icuLocale = dataLocale(resolution.base, [
      ['ca', resolution.values.ca], ['hc', cycle], ['nu', resolution.values.nu],
    ]);
    const native = natives.newDateTimeFormat(icuLocale, skeletonOf(fields, hourSymbol), dateStyle ?? '', timeStyle ?? '', timeZone);
    const resolved = { locale: resolution.locale, calendar: calendarValue, numberingSystem: numbering, timeZone };
    if (usesHour) {
      resolved.hourCycle = cycle;
      resolved.hour12 = cycle === 'h11' || cycle === 'h12';
    }
    if (dateStyle === undefined && timeStyle === undefined) {
      for (const [name] of DATE_FIELDS) if (fields[name] !== undefined) resolved[name] = fields[name];
    }
    if (dateStyle !== undefined) resolved.dateStyle = dateStyle;
    if (timeStyle !== undefined) resolved.timeStyle = timeStyle;
    return { native, resolved };
  }

  // ---- Intl.NumberFormat -------------------------------------------------

  const SANCTIONED_UNITS = ['acre', 'bit', 'byte', 'celsius', 'centimeter', 'day', 'degree', 'fahrenheit',
    'fluid-ounce', 'foot', 'gallon', 'gigabit', 'gigabyte', 'gram', 'hectare', 'hour', 'inch', 'kilobit',
    'kilobyte', 'kilogram', 'kilometer', 'liter', 'megabit', 'megabyte', 'meter', 'microsecond', 'mile',
    'mile-scandinavian', 'milliliter', 'millimeter', 'millisecond', 'minute', 'month', 'nanosecond', 'ounce',
    'percent', 'petabyte', 'pound', 'second', 'stone', 'terabit', 'terabyte', 'week', 'yard', 'year'];
  const ROUNDING_INCREMENTS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000];
  const ROUNDING_MODES = ['ceil', 'floor', 'expand', 'trunc', 'halfCeil', 'halfFloor', 'halfExpand', 'halfTrunc', 'halfEven'];

  function isWellFormedUnit(unit) {
    if (SANCTIONED_UNITS.includes(unit)) return true;
    const per = unit.indexOf('-per-');
    return per > 0 && SANCTIONED_UNITS.includes(unit.slice(0, per)) && SANCTIONED_UNITS.includes(unit.slice(per + 5));
  }

  // SetNumberFormatDigitOptions.
  function digitOptions(opts, minimumFractionDefault, maximumFractionDefault, notation) {
    const digits = {};
    digits.minimumIntegerDigits = numberOption(opts, 'minimumIntegerDigits', 1, 21, 1);
    const mnfd = opts.minimumFractionDigits;
    const mxfd = opts.maximumFractionDigits;
    const mnsd = opts.minimumSignificantDigits;
    const mxsd = opts.maximumSignificantDigits;
    digits.roundingIncrement = numberOption(opts, 'roundingIncrement', 1, 5000, 1);
    if (!ROUNDING_INCREMENTS.includes(digits.roundingIncrement)) throw new RangeError('roundingIncrement value is out of range.');
    digits.roundingMode = option(opts, 'roundingMode', 'string', ROUNDING_MODES, 'halfExpand');
    const priority = option(opts, 'roundingPriority', 'string', ['auto', 'morePrecision', 'lessPrecision'], 'auto');
    digits.trailingZeroDisplay = option(opts, 'trailingZeroDisplay', 'string', ['auto', 'stripIfInteger'], 'auto');
    if (digits.roundingIncrement !== 1) maximumFractionDefault = minimumFractionDefault;
    const hasSd = mnsd !== undefined || mxsd !== undefined;
    const hasFd = mnfd !== undefined || mxfd !== undefined;
    let needSd = true;
    let needFd = true;
    if (priority === 'auto') {
      needSd = hasSd;
      if (needSd || (!hasFd && notation === 'compact')) needFd = false;
    }
    if (needSd) {
      if (hasSd) {
        digits.minimumSignificantDigits = numberIn(mnsd, 1, 21, 1, 'minimumSignificantDigits');
        digits.maximumSignificantDigits = numberIn(mxsd, digits.minimumSignificantDigits, 21, 21, 'maximumSignificantDigits');
      } else {
        digits.minimumSignificantDigits = 1;
        digits.maximumSignificantDigits = 21;
      }
    }
    if (needFd) {
      if (hasFd) {
        let min = numberIn(mnfd, 0, 100, undefined, 'minimumFractionDigits');
        let max = numberIn(mxfd, 0, 100, undefined, 'maximumFractionDigits');
        if (min === undefined) min = Math.min(minimumFractionDefault, max);
        else if (max === undefined) max = Math.max(maximumFractionDefault, min);
        else if (min > max) throw new RangeError('maximumFractionDigits value is out of range.');
        digits.minimumFractionDigits = min;
        digits.maximumFractionDigits = max;
      } else {
        digits.minimumFractionDigits = minimumFractionDefault;
        digits.maximumFractionDigits = maximumFractionDefault;
      }
    }
    if (!needSd && !needFd) {
      digits.minimumFractionDigits = 0;
      digits.maximumFractionDigits = 0;
      digits.minimumSignificantDigits = 1;
      digits.maximumSignificantDigits = 2;
      digits.roundingType = 'morePrecision';
      digits.roundingPriority = 'morePrecision';
    } else if (priority === 'auto') {
      digits.roundingType = needSd ? 'significantDigits' : 'fractionDigits';
      digits.roundingPriority = 'auto';
    } else {
      digits.roundingType = priority;
      digits.roundingPriority = priority;
    }
    if (digits.roundingIncrement !== 1) {
      if (digits.roundingType !== 'fractionDigits') throw new TypeError('roundingIncrement requires fraction digit rounding');
      if (digits.maximumFractionDigits !== digits.minimumFractionDigits) {
        throw new RangeError('roundingIncrement requires maximumFractionDigits equal to minimumFractionDigits');
      }
    }
    return digits;
  }

  // ToIntlMathematicalValue, as what the natives take: a number, or a
  // decimal string for a BigInt or a numeric string (kept exact).
  const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  function mathematicalValue(value) {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'string') {
      const text = value.trim();
      if (DECIMAL.test(text) && !/[eE]/.test(text)) return text;
      return Number(text === '' ? 0 : text);
    }
    const primitive = typeof value === 'object' && value !== null ? Number(value) : value;
    if (typeof primitive === 'bigint') return primitive.toString();
    return Number(primitive);
  }

  class NumberFormat {
    #native;
    #resolved;
    constructor(locales = undefined, options = undefined) {
      const opts = toOptions(options);
      const numberingSystem = typeOption(opts, 'numberingSystem');
      const resolution = resolveLocale(locales, opts, [
        ['nu', (v) => NUMBERING_SYSTEMS.includes(v), numberingSystem !== undefined && NUMBERING_SYSTEMS.includes(numberingSystem) ? numberingSystem : undefined],
      ]);
      const style = option(opts, 'style', 'string', ['decimal', 'percent', 'currency', 'unit'], 'decimal');
      let currency = option(opts, 'currency', 'string', undefined, undefined);
      if (currency !== undefined && !/^[A-Za-z]{3}$/.test(currency)) throw new RangeError(`Invalid currency code : ${currency}`);
      const currencyDisplay = option(opts, 'currencyDisplay', 'string', ['code', 'symbol', 'narrowSymbol', 'name'], 'symbol');
      const currencySign = option(opts, 'currencySign', 'string', ['standard', 'accounting'], 'standard');
      const unit = option(opts, 'unit', 'string', undefined, undefined);
      if (unit !== undefined && !isWellFormedUnit(unit)) throw new RangeError(`Invalid unit argument for Intl.NumberFormat() '${unit}'`);
      const unitDisplay = option(opts, 'unitDisplay', 'string', ['short', 'narrow', 'long'], 'short');
      if (style === 'currency' && currency === undefined) throw new TypeError('Currency code is required with currency style.');
      if (style === 'unit' && unit === undefined) throw new TypeError('Unit is required with unit style.');
      const notation = option(opts, 'notation', 'string', ['standard', 'scientific', 'engineering', 'compact'], 'standard');
      let minimumFractionDefault = 0;
      let maximumFractionDefault = style === 'percent' ? 0 : 3;
      if (style === 'currency') {
        currency = currency.toUpperCase();
        const digits = notation === 'standard' || notation === 'compact' ? natives.currencyDigits(currency) : 2;
        minimumFractionDefault = digits;
        maximumFractionDefault = digits;
      }
      const digits = digitOptions(opts, minimumFractionDefault, maximumFractionDefault, notation);
      const compactDisplay = option(opts, 'compactDisplay', 'string', ['short', 'long'], 'short');
      const groupingDefault = notation === 'compact' ? 'min2' : 'auto';
      let useGrouping = opts.useGrouping;
      if (useGrouping === undefined) useGrouping = groupingDefault;
      else if (useGrouping === true) useGrouping = 'always';
      else if (useGrouping === false || useGrouping === null || useGrouping === 0 || useGrouping === '') useGrouping = false;
      else {
        useGrouping = String(useGrouping);
        if (useGrouping === 'true' || useGrouping === 'false') useGrouping = groupingDefault;
        else if (!['min2', 'auto', 'always'].includes(useGrouping)) throw new RangeError(`Value ${useGrouping} out of range for Intl.NumberFormat options property useGrouping`);
      }
      const signDisplay = option(opts, 'signDisplay', 'string', ['auto', 'never', 'always', 'exceptZero', 'negative'], 'auto');
      const resolved = { locale: resolution.locale, numberingSystem: resolution.values.nu ?? 'latn', style };
      if (style === 'currency') Object.assign(resolved, { currency, currencyDisplay, currencySign });
      if (style === 'unit') Object.assign(resolved, { unit, unitDisplay });
      resolved.minimumIntegerDigits = digits.minimumIntegerDigits;
      if (digits.minimumFractionDigits !== undefined) {
        resolved.minimumFractionDigits = digits.minimumFractionDigits;
        resolved.maximumFractionDigits = digits.maximumFractionDigits;
      }
      if (digits.minimumSignificantDigits !== undefined && digits.roundingType !== 'fractionDigits') {
        resolved.minimumSignificantDigits = digits.minimumSignificantDigits;
        resolved.maximumSignificantDigits = digits.maximumSignificantDigits;
      }
      Object.assign(resolved, { useGrouping, notation });
      if (notation === 'compact') resolved.compactDisplay = compactDisplay;
      Object.assign(resolved, {
        signDisplay,
        roundingIncrement: digits.roundingIncrement,
        roundingMode: digits.roundingMode,
        roundingPriority: digits.roundingPriority,
        trailingZeroDisplay: digits.trailingZeroDisplay,
      });
      const icuLocale = dataLocale(resolution.base, [['nu', resolution.values.nu]]);
      this.#native = natives.newNumberFormat(icuLocale, {
        style, currency, currencyDisplay, currencySign, unit, unitDisplay, notation, compactDisplay,
        useGrouping: String(useGrouping), signDisplay, ...digits,
      });
      this.#resolved = resolved;
    }
    static #check(self, method) {
      if (!(#native in Object(self))) throw new TypeError(`Intl.NumberFormat.prototype.${method}: 'this' is not an Intl.NumberFormat`);
      return self;
    }
    get format() {
      const self = NumberFormat.#check(this, 'format');
      return bound(self, formatSlot, () => {
        const native = self.#native;
        return (value) => natives.formatNumber(native, mathematicalValue(value));
      });
    }
    formatToParts(value) {
      return natives.formatNumberToParts(NumberFormat.#check(this, 'formatToParts').#native, mathematicalValue(value));
    }
    formatRange(start, end) {
      NumberFormat.#check(this, 'formatRange');
      if (start === undefined || end === undefined) throw new TypeError('Intl.NumberFormat.prototype.formatRange: start and end are required');
      const a = natives.formatNumber(this.#native, mathematicalValue(start));
      const b = natives.formatNumber(this.#native, mathematicalValue(end));
      return a === b ? `~${a}` : `${a}–${b}`;
    }
    resolvedOptions() {
      return { ...NumberFormat.#check(this, 'resolvedOptions').#resolved };
    }
    static supportedLocalesOf(locales, options = undefined) {
      return supportedLocalesOf(locales, options);
    }
  }
  tag(NumberFormat, 'Intl.NumberFormat');

  // ---- Intl.PluralRules --------------------------------------------------

  class PluralRules {
    #native;
    #resolved;
    constructor(locales = undefined, options = undefined) {
      if (new.target === undefined) throw new TypeError("Constructor Intl.PluralRules requires 'new'");
      const opts = toOptions(options);
      const resolution = resolveLocale(locales, opts, []);
      const type = option(opts, 'type', 'string', ['cardinal', 'ordinal'], 'cardinal');
      const notation = option(opts, 'notation', 'string', ['standard', 'scientific', 'engineering', 'compact'], 'standard');
      const digits = digitOptions(opts, 0, 3, notation);
      this.#native = natives.newPluralRules(resolution.base, type, digits);
      const resolved = { locale: resolution.locale, type, notation, minimumIntegerDigits: digits.minimumIntegerDigits };
      if (digits.minimumFractionDigits !== undefined) {
        resolved.minimumFractionDigits = digits.minimumFractionDigits;
        resolved.maximumFractionDigits = digits.maximumFractionDigits;
      }
      if (digits.minimumSignificantDigits !== undefined && digits.roundingType !== 'fractionDigits') {
        resolved.minimumSignificantDigits = digits.minimumSignificantDigits;
        resolved.maximumSignificantDigits = digits.maximumSignificantDigits;
      }
      resolved.pluralCategories = natives.pluralCategories(this.#native);
      Object.assign(resolved, {
        roundingIncrement: digits.roundingIncrement,
        roundingMode: digits.roundingMode,
        roundingPriority: digits.roundingPriority,
        trailingZeroDisplay: digits.trailingZeroDisplay,
      });
      this.#resolved = resolved;
    }
    static #check(self, method) {
      if (!(#native in Object(self))) throw new TypeError(`Intl.PluralRules.prototype.${method}: 'this' is not an Intl.PluralRules`);
      return self;
    }
    select(value) {
      return natives.selectPlural(PluralRules.#check(this, 'select').#native, Number(value));
    }
    selectRange(start, end) {
      PluralRules.#check(this, 'selectRange');
      if (start === undefined || end === undefined) throw new TypeError('Intl.PluralRules.prototype.selectRange: start and end are required');
      return natives.selectPlural(this.#native, Number(end));
    }
    resolvedOptions() {
      const resolved = PluralRules.#check(this, 'resolvedOptions').#resolved;
      return { ...resolved, pluralCategories: [...resolved.pluralCategories] };
    }
    static supportedLocalesOf(locales, options = undefined) {
      return supportedLocalesOf(locales, options);
    }
  }
  tag(PluralRules, 'Intl.PluralRules');

  // ---- Intl.Collator -----------------------------------------------------

  class Collator {
    #native;
    #resolved;
    constructor(locales = undefined, options = undefined) {
      const opts = toOptions(options);
      const usage = option(opts, 'usage', 'string', ['sort', 'search'], 'sort');
      const collation = typeOption(opts, 'collation');
      const numeric = option(opts, 'numeric', 'boolean', undefined, undefined);
      const caseFirst = option(opts, 'caseFirst', 'string', ['upper', 'lower', 'false'], undefined);
      const resolution = resolveLocale(locales, opts, [
        ['co', (v) => COLLATIONS.includes(v) && v !== 'search' && v !== 'standard', collation !== undefined && COLLATIONS.includes(collation) ? collation : undefined],
        ['kf', (v) => ['upper', 'lower', 'false'].includes(v), caseFirst],
        ['kn', (v) => v === 'true' || v === 'false', numeric === undefined ? undefined : String(numeric)],
      ]);
      const sensitivity = option(opts, 'sensitivity', 'string', ['base', 'accent', 'case', 'variant'], 'variant');
      const ignorePunctuation = option(opts, 'ignorePunctuation', 'boolean', undefined, false);
      const icuLocale = dataLocale(resolution.base, [
        ['co', usage === 'search' ? 'search' : resolution.values.co],
        ['kf', resolution.values.kf],
        ['kn', resolution.values.kn],
      ]);
      this.#native = natives.newCollator(icuLocale, sensitivity, ignorePunctuation);
      this.#resolved = {
        locale: resolution.locale,
        usage,
        sensitivity,
        ignorePunctuation,
        collation: resolution.values.co ?? 'default',
        numeric: resolution.values.kn === 'true',
        caseFirst: resolution.values.kf ?? 'false',
      };
    }
    static #check(self, method) {
      if (!(#native in Object(self))) throw new TypeError(`Intl.Collator.prototype.${method}: 'this' is not an Intl.Collator`);
      return self;
    }
    get compare() {
      const self = Collator.#check(this, 'compare');
      return bound(self, formatSlot, () => {
        const native = self.#native;
        return (x, y) => natives.compareStrings(native, String(x).toWellFormed(), String(y).toWellFormed());
      });
    }
    resolvedOptions() {
      return { ...Collator.#check(this, 'resolvedOptions').#resolved };
    }
    static supportedLocalesOf(locales, options = undefined) {
      return supportedLocalesOf(locales, options);
    }
  }
  tag(Collator, 'Intl.Collator');

  // ---- Intl.ListFormat ---------------------------------------------------

  function stringList(iterable) {
    if (iterable === undefined) return [];
    const list = [];
    for (const item of iterable) {
      if (typeof item !== 'string') throw new TypeError('Intl.ListFormat: every element must be a string');
      list.push(item.toWellFormed());
    }
    return list;
  }

  class ListFormat {
    #native;
    #resolved;
    constructor(locales = undefined, options = undefined) {
      if (new.target === undefined) throw new TypeError("Constructor Intl.ListFormat requires 'new'");
      const opts = toOptions(options);
      const resolution = resolveLocale(locales, opts, []);
      const type = option(opts, 'type', 'string', ['conjunction', 'disjunction', 'unit'], 'conjunction');
      const style = option(opts, 'style', 'string', ['long', 'short', 'narrow'], 'long');
      this.#native = natives.newListFormat(resolution.base, type, style);
      this.#resolved = { locale: resolution.locale, type, style };
    }
    static #check(self, method) {
      if (!(#native in Object(self))) throw new TypeError(`Intl.ListFormat.prototype.${method}: 'this' is not an Intl.ListFormat`);
      return self;
    }
    format(list) {
      return natives.formatList(ListFormat.#check(this, 'format').#native, stringList(list), false);
    }
    formatToParts(list) {
      return natives.formatList(ListFormat.#check(this, 'formatToParts').#native, stringList(list), true);
    }
    resolvedOptions() {
      return { ...ListFormat.#check(this, 'resolvedOptions').#resolved };
    }
    static supportedLocalesOf(locales, options = undefined) {
      return supportedLocalesOf(locales, options);
    }
  }
  tag(ListFormat, 'Intl.ListFormat');

  // ---- Intl.RelativeTimeFormat -------------------------------------------

  const RELATIVE_UNITS = ['second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'];

  class RelativeTimeFormat {
    #native;
    #resolved;
    #numbers;
    constructor(locales = undefined, options = undefined) {
      if (new.target === undefined) throw new TypeError("Constructor Intl.RelativeTimeFormat requires 'new'");
      const opts = toOptions(options);
      const numberingSystem = typeOption(opts, 'numberingSystem');
      const resolution = resolveLocale(locales, opts, [
        ['nu', (v) => NUMBERING_SYSTEMS.includes(v), numberingSystem !== undefined && NUMBERING_SYSTEMS.includes(numberingSystem) ? numberingSystem : undefined],
      ]);
      const style = option(opts, 'style', 'string', ['long', 'short', 'narrow'], 'long');
      const numeric = option(opts, 'numeric', 'string', ['always', 'auto'], 'always');
      const icuLocale = dataLocale(resolution.base, [['nu', resolution.values.nu]]);
      this.#native = natives.newRelativeTimeFormat(icuLocale, style, numeric);
      this.#resolved = { locale: resolution.locale, style, numeric, numberingSystem: resolution.values.nu ?? 'latn' };
    }
    static #check(self, method) {
      if (!(#native in Object(self))) throw new TypeError(`Intl.RelativeTimeFormat.prototype.${method}: 'this' is not an Intl.RelativeTimeFormat`);
      return self;
    }
    static #unit(unit) {
      let name = String(unit);
      if (name.endsWith('s')) name = name.slice(0, -1);
      if (!RELATIVE_UNITS.includes(name)) throw new RangeError(`Invalid unit argument for format() '${String(unit)}'`);
      return name;
    }
    static #value(value) {
      const number = Number(value);
      if (!Number.isFinite(number)) throw new RangeError('Invalid number value');
      return number;
    }
    format(value, unit) {
      RelativeTimeFormat.#check(this, 'format');
      const number = RelativeTimeFormat.#value(value);
      return natives.formatRelativeTime(this.#native, number, RelativeTimeFormat.#unit(unit), false);
    }
    formatToParts(value, unit) {
      RelativeTimeFormat.#check(this, 'formatToParts');
      const number = RelativeTimeFormat.#value(value);
      const name = RelativeTimeFormat.#unit(unit);
      const parts = natives.formatRelativeTime(this.#native, number, name, true);
      for (const part of parts) if (part.type !== 'literal') part.unit = name;
      return parts;
    }
    resolvedOptions() {
      return { ...RelativeTimeFormat.#check(this, 'resolvedOptions').#resolved };
    }
    static supportedLocalesOf(locales, options = undefined) {
      return supportedLocalesOf(locales, options);
    }
  }
  tag(RelativeTimeFormat, 'Intl.RelativeTimeFormat');

  // ---- Intl.Segmenter ----------------------------------------------------

  class Segmenter {
    #granularity;
    #resolved;
    constructor(locales = undefined, options = undefined) {
      if (new.target === undefined) throw new TypeError("Constructor Intl.Segmenter requires 'new'");
      const opts = toOptions(options);
      const resolution = resolveLocale(locales, opts, []);
      this.#granularity = option(opts, 'granularity', 'string', ['grapheme', 'word', 'sentence'], 'grapheme');
      this.#resolved = { locale: resolution.locale, granularity: this.#granularity };
    }
    static #check(self, method) {
      if (!(#granularity in Object(self))) throw new TypeError(`Intl.Segmenter.prototype.${method}: 'this' is not an Intl.Segmenter`);
      return self;
    }
    segment(input) {
      Segmenter.#check(this, 'segment');
      return new Segments(String(input), this.#granularity);
    }
    resolvedOptions() {
      return { ...Segmenter.#check(this, 'resolvedOptions').#resolved };
    }
    static supportedLocalesOf(locales, options = undefined) {
      return supportedLocalesOf(locales, options);
    }
  }
  tag(Segmenter, 'Intl.Segmenter');

  // The segments of one string: boundaries computed once, on first use.
  class Segments {
    #input;
    #granularity;
    #breaks = null;
    #wordLike = null;
    constructor(input, granularity) {
      this.#input = input;
      this.#granularity = granularity;
    }
    #compute() {
      if (this.#breaks === null) {
        // A lone surrogate is one code unit as U+FFFD too: offsets agree.
        const [breaks, wordLike] = natives.segmentBreaks(this.#input.toWellFormed(), this.#granularity);
        this.#breaks = breaks.length ? breaks : [0];
        this.#wordLike = wordLike;
      }
    }
    #data(index) {
      const start = this.#breaks[index];
      const end = this.#breaks[index + 1];
      const data = { segment: this.#input.slice(start, end), index: start, input: this.#input };
      if (this.#granularity === 'word') data.isWordLike = Boolean(this.#wordLike[index]);
      return data;
    }
    containing(index = 0) {
      if (!(#input in Object(this))) throw new TypeError("Segments.prototype.containing: 'this' is not a Segments object");
      this.#compute();
      const n = Math.trunc(Number(index)) || 0;
      if (n < 0 || n >= this.#input.length) return undefined;
      let low = 0;
      let high = this.#breaks.length - 2;
      while (low < high) {
        const mid = (low + high + 1) >> 1;
        if (this.#breaks[mid] <= n) low = mid;
        else high = mid - 1;
      }
      return this.#data(low);
    }
    [Symbol.iterator]() {
      this.#compute();
      let index = 0;
      const self = this;
      const count = this.#breaks.length - 1;
      const iterator = Object.create(SegmentIteratorPrototype);
      iterator.next = function next() {
        if (index >= count) return { value: undefined, done: true };
        return { value: self.#data(index++), done: false };
      };
      return iterator;
    }
  }
  const SegmentIteratorPrototype = Object.create(Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())));
  Object.defineProperty(SegmentIteratorPrototype, Symbol.toStringTag, { value: 'Segmenter String Iterator', configurable: true });

  // ---- Intl.DisplayNames -------------------------------------------------

  class DisplayNames {
    #resolved;
    constructor(locales, options) {
      if (new.target === undefined) throw new TypeError("Constructor Intl.DisplayNames requires 'new'");
      if (options === undefined) throw new TypeError('Intl.DisplayNames: the options argument with a type is required');
      const opts = toOptions(options);
      const resolution = resolveLocale(locales, opts, []);
      const style = option(opts, 'style', 'string', ['narrow', 'short', 'long'], 'long');
      const type = option(opts, 'type', 'string', ['language', 'region', 'script', 'currency', 'calendar', 'dateTimeField'], undefined);
      if (type === undefined) throw new TypeError('Intl.DisplayNames: the type option is required');
      const fallback = option(opts, 'fallback', 'string', ['code', 'none'], 'code');
      const languageDisplay = option(opts, 'languageDisplay', 'string', ['dialect', 'standard'], 'dialect');
      this.#resolved = { locale: resolution.locale, style, type, fallback };
      if (type === 'language') this.#resolved.languageDisplay = languageDisplay;
    }
    of(code) {
      if (!(#resolved in Object(this))) throw new TypeError("Intl.DisplayNames.prototype.of: 'this' is not an Intl.DisplayNames");
      const { type, style, fallback, locale, languageDisplay } = this.#resolved;
      let text = String(code);
      let name;
      switch (type) {
        case 'language':
          if (!/^[a-z]{2,3}([-][a-z]{4})?([-]([a-z]{2}|\d{3}))?([-]([a-z0-9]{5,8}|\d[a-z0-9]{3}))*$/i.test(text)) throw new RangeError(`invalid language code: ${text}`);
          text = canonicalize(text);
          break;
        case 'region':
          if (!/^([a-z]{2}|\d{3})$/i.test(text)) throw new RangeError(`invalid region code: ${text}`);
          text = text.toUpperCase();
          break;
        case 'script':
          if (!/^[a-z]{4}$/i.test(text)) throw new RangeError(`invalid script code: ${text}`);
          text = text[0].toUpperCase() + text.slice(1).toLowerCase();
          break;
        case 'currency':
          if (!/^[a-z]{3}$/i.test(text)) throw new RangeError(`invalid currency code: ${text}`);
          text = text.toUpperCase();
          break;
        case 'calendar':
          if (!TYPE_SEQUENCE.test(text)) throw new RangeError(`invalid calendar: ${text}`);
          break;
        default:
          if (!['era', 'year', 'quarter', 'month', 'weekOfYear', 'weekday', 'day', 'dayPeriod', 'hour', 'minute', 'second', 'timeZoneName'].includes(text)) {
            throw new RangeError(`invalid dateTimeField: ${text}`);
          }
      }
      if (type === 'language' || type === 'region' || type === 'script') {
        name = natives.displayName(splitTag(locale).base, type, text, style, languageDisplay === 'dialect');
      }
      if (name === undefined || name === null) return fallback === 'code' ? text : undefined;
      return name;
    }
    resolvedOptions() {
      if (!(#resolved in Object(this))) throw new TypeError("Intl.DisplayNames.prototype.resolvedOptions: 'this' is not an Intl.DisplayNames");
      return { ...this.#resolved };
    }
    static supportedLocalesOf(locales, options = undefined) {
      return supportedLocalesOf(locales, options);
    }
  }
  tag(DisplayNames, 'Intl.DisplayNames');

  // ---- the Intl object -------------------------------------------------

  const Intl = {};
  Object.defineProperty(Intl, Symbol.toStringTag, { value: 'Intl', configurable: true });
  for (const [name, Class] of [['Collator', Collator], ['DateTimeFormat', DateTimeFormat], ['DisplayNames', DisplayNames],
    ['ListFormat', ListFormat], ['Locale', Locale], ['NumberFormat', NumberFormat], ['PluralRules', PluralRules],
    ['RelativeTimeFormat', RelativeTimeFormat], ['Segmenter', Segmenter]]) {
    hidden(Intl, name, Class);
  }
  hidden(Intl, 'getCanonicalLocales', function getCanonicalLocales(locales) {
    return canonicalizeLocaleList(locales);
  });
  hidden(Intl, 'supportedValuesOf', function supportedValuesOf(key) {
    switch (String(key)) {
      case 'calendar': return [...CALENDARS];
      case 'collation': return [...COLLATIONS];
      case 'currency': return natives.currencies();
      case 'numberingSystem': return [...NUMBERING_SYSTEMS];
      case 'timeZone': return natives.timeZones();
      case 'unit': return [...SANCTIONED_UNITS];
      default: throw new RangeError(`Invalid key : ${String(key)}`);
    }
  });
  hidden(globalThis, 'Intl', Intl);

  // ---- the built-ins' locale-sensitive methods ---------------------------

  // Formatters for calls without locales and options, made on first use.
  const defaults = new Map();
  function cached(key, make) {
    let value = defaults.get(key);
    if (value === undefined) {
      value = make();
      defaults.set(key, value);
    }
    return value;
  }
  const plain = (locales, options) => locales === undefined && options === undefined;

  function dateMethod(name, required, defaultsKind) {
    return {
      [name](locales = undefined, options = undefined) {
        if (!(this instanceof Date)) throw new TypeError(`Date.prototype.${name}: 'this' is not a Date`);
        const time = this.getTime();
        if (Number.isNaN(time)) return 'Invalid Date';
        const native = plain(locales, options)
          ? cached(name, () => createDateTimeFormat(undefined, undefined, required, defaultsKind).native)
          : createDateTimeFormat(locales, options, required, defaultsKind).native;
        return natives.formatDateTime(native, time);
      },
    }[name];
  }
  hidden(Date.prototype, 'toLocaleString', dateMethod('toLocaleString', 'any', 'all'));
  hidden(Date.prototype, 'toLocaleDateString', dateMethod('toLocaleDateString', 'date', 'date'));
  hidden(Date.prototype, 'toLocaleTimeString', dateMethod('toLocaleTimeString', 'time', 'time'));

  const thisNumber = (value, name) => {
    if (typeof value === 'number') return value;
    if (value instanceof Number) return value.valueOf();
    throw new TypeError(`Number.prototype.${name}: 'this' is not a Number`);
  };
  hidden(Number.prototype, 'toLocaleString', function toLocaleString(locales = undefined, options = undefined) {
    const number = thisNumber(this, 'toLocaleString');
    const formatter = plain(locales, options) ? cached('number', () => new NumberFormat()) : new NumberFormat(locales, options);
    return formatter.format(number);
  });
  hidden(BigInt.prototype, 'toLocaleString', function toLocaleString(locales = undefined, options = undefined) {
    const value = BigInt.prototype.valueOf.call(this);
    const formatter = plain(locales, options) ? cached('number', () => new NumberFormat()) : new NumberFormat(locales, options);
    return formatter.format(value);
  });
  hidden(Array.prototype, 'toLocaleString', function toLocaleString(locales = undefined, options = undefined) {
    const array = Object(this);
    const length = Math.min(Number(array.length) || 0, 2 ** 53 - 1);
    let result = '';
    for (let k = 0; k < length; k++) {
      if (k > 0) result += ',';
      const element = array[k];
      if (element !== undefined && element !== null) result += String(element.toLocaleString(locales, options));
    }
    return result;
  });
  hidden(String.prototype, 'localeCompare', function localeCompare(that, locales = undefined, options = undefined) {
    if (this === undefined || this === null) throw new TypeError('String.prototype.localeCompare called on null or undefined');
    const collator = plain(locales, options) ? cached('collator', () => new Collator()) : new Collator(locales, options);
    return collator.compare(String(this), String(that));
  });
  function caseMethod(name, upper) {
    return {
      [name](locales = undefined) {
        if (this === undefined || this === null) throw new TypeError(`String.prototype.${name} called on null or undefined`);
        const text = String(this);
        const requested = canonicalizeLocaleList(locales);
        const language = requested.length ? splitTag(requested[0]).base.split('-')[0] : 'en';
        if (!['tr', 'az', 'lt', 'el', 'hy'].includes(language) || !text.isWellFormed()) {
          return upper ? text.toUpperCase() : text.toLowerCase();
        }
        return natives.changeCase(text, language, upper);
      },
    }[name];
  }
  hidden(String.prototype, 'toLocaleUpperCase', caseMethod('toLocaleUpperCase', true));
  hidden(String.prototype, 'toLocaleLowerCase', caseMethod('toLocaleLowerCase', false));
})
