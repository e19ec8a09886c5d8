/**
 * The 18 identifier kinds of HIPAA's Safe Harbor method (45 CFR §164.514(b)(2)(i)(A)-(R)) and the heuristics
 * that look for them in a table: words in column names, and patterns in cell values. Heuristics, not proof: they
 * miss identifiers in free text, in coded columns and in formats they do not know, and they can fire on a column
 * that only looks like one. Nothing here keeps a cell value.
 */
import { isIP } from 'node:net';

/** The 18 Safe Harbor identifier kinds, in the rule's order (A)-(R). */
export const SAFE_HARBOR_KINDS = [
  { kind: 'names', letter: 'A', title: 'Names' },
  {
    kind: 'geographic',
    letter: 'B',
    title: 'Geographic subdivisions smaller than a state (incl. ZIP codes)',
  },
  { kind: 'dates', letter: 'C', title: 'Dates (except year) related to an individual; ages over 89' },
  { kind: 'telephone', letter: 'D', title: 'Telephone numbers' },
  { kind: 'fax', letter: 'E', title: 'Fax numbers' },
  { kind: 'email', letter: 'F', title: 'Email addresses' },
  { kind: 'ssn', letter: 'G', title: 'Social Security numbers' },
  { kind: 'medical-record', letter: 'H', title: 'Medical record numbers' },
  { kind: 'health-plan', letter: 'I', title: 'Health plan beneficiary numbers' },
  { kind: 'account', letter: 'J', title: 'Account numbers' },
  { kind: 'certificate-license', letter: 'K', title: 'Certificate/license numbers' },
  { kind: 'vehicle', letter: 'L', title: 'Vehicle identifiers and serial numbers, incl. license plates' },
  { kind: 'device', letter: 'M', title: 'Device identifiers and serial numbers' },
  { kind: 'url', letter: 'N', title: 'Web URLs' },
  { kind: 'ip', letter: 'O', title: 'IP addresses' },
  { kind: 'biometric', letter: 'P', title: 'Biometric identifiers, incl. finger and voice prints' },
  { kind: 'photo', letter: 'Q', title: 'Full-face photographs and comparable images' },
  { kind: 'other-unique', letter: 'R', title: 'Any other unique identifying number, characteristic or code' },
] as const;

/** One of the 18 kinds. */
export type SafeHarborKind = (typeof SAFE_HARBOR_KINDS)[number]['kind'];

/**
 * Column-name rules: a column whose name, split into lower-case words (camelCase, '_', '-', ' ', '.'), contains one
 * of these word sequences. Order matters: the first kind that matches wins (fax before telephone, names last but
 * one so that 'file name' style exclusions apply first).
 */
const NAME_RULES: ReadonlyArray<{ kind: SafeHarborKind; words: readonly string[] }> = [
  { kind: 'fax', words: ['fax'] },
  { kind: 'telephone', words: ['phone', 'telephone', 'tel', 'mobile', 'cell phone', 'cellphone', 'msisdn'] },
  { kind: 'email', words: ['email', 'e mail', 'mail address'] },
  { kind: 'ssn', words: ['ssn', 'social security', 'socialsecurity', 'social security number'] },
  { kind: 'medical-record', words: ['mrn', 'medical record', 'medicalrecord', 'chart number', 'patient id'] },
  {
    kind: 'health-plan',
    words: [
      'health plan',
      'beneficiary',
      'member id',
      'memberid',
      'insurance id',
      'subscriber id',
      'medicaid',
      'medicare',
      'policy number',
    ],
  },
  { kind: 'account', words: ['account', 'acct', 'iban', 'card number', 'credit card', 'bank account'] },
  {
    kind: 'vehicle',
    words: ['vin', 'vehicle', 'license plate', 'licence plate', 'number plate', 'plate number'],
  },
  { kind: 'certificate-license', words: ['license', 'licence', 'certificate', 'permit number'] },
  { kind: 'device', words: ['device', 'serial', 'serial number', 'imei', 'udid', 'mac address'] },
  { kind: 'url', words: ['url', 'uri', 'website', 'homepage', 'web page', 'link'] },
  { kind: 'ip', words: ['ip', 'ip address', 'ipaddress', 'ipv4', 'ipv6'] },
  {
    kind: 'biometric',
    words: ['fingerprint', 'voiceprint', 'retina', 'iris', 'biometric', 'faceprint', 'face encoding'],
  },
  {
    kind: 'photo',
    words: ['photo', 'photograph', 'picture', 'portrait', 'headshot', 'selfie', 'face image', 'image'],
  },
  {
    kind: 'geographic',
    words: [
      'zip',
      'zipcode',
      'zip code',
      'postal',
      'postcode',
      'post code',
      'address',
      'street',
      'city',
      'county',
      'town',
      'municipality',
      'precinct',
      'geocode',
      'latitude',
      'longitude',
      'lat',
      'lon',
      'lng',
      'census tract',
      'census block',
      'neighbourhood',
      'neighborhood',
    ],
  },
  {
    kind: 'dates',
    words: ['date', 'dob', 'dod', 'birth', 'birthday', 'birthdate', 'dateofbirth', 'timestamp', 'datetime'],
  },
  {
    kind: 'names',
    words: [
      'name',
      'names',
      'surname',
      'forename',
      'firstname',
      'lastname',
      'fullname',
      'maiden',
      'nickname',
    ],
  },
  {
    kind: 'other-unique',
    words: [
      'id',
      'uuid',
      'guid',
      'identifier',
      'username',
      'user id',
      'userid',
      'login',
      'passport',
      'national id',
      'customer id',
      'employee id',
      'record id',
      'badge',
    ],
  },
];

/** Words that turn a 'name' or 'id' column into something else ('file name', 'product id' stays flagged: ids are). */
const NOT_A_PERSON_NAME = new Set([
  'file',
  'host',
  'column',
  'field',
  'product',
  'drug',
  'brand',
  'company',
  'dataset',
  'table',
  'class',
  'label',
  'category',
]);

/** Splits a column name into lower-case words: 'patientDOB' → ['patient', 'dob'], 'zip_code' → ['zip', 'code']. */
export function columnWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function containsPhrase(words: readonly string[], phrase: string): boolean {
  const target = phrase.split(' ');
  for (let i = 0; i + target.length <= words.length; i++) {
    if (target.every((t, j) => words[i + j] === t)) return true;
  }
  return false;
}

/** The kind a column's name suggests, and the phrase that matched; null when none. */
export function kindFromColumnName(name: string): { kind: SafeHarborKind; phrase: string } | null {
  const words = columnWords(name);
  for (const rule of NAME_RULES) {
    const phrase = rule.words.find((p) => containsPhrase(words, p));
    if (phrase === undefined) continue;
    if (rule.kind === 'names' && words.some((w) => NOT_A_PERSON_NAME.has(w))) continue;
    return { kind: rule.kind, phrase };
  }
  return null;
}

/** True when `words` names an age column ('age', 'patient_age', 'ageYears'), not 'page' or 'average'. */
export function isAgeColumn(name: string): boolean {
  return columnWords(name).some((w) => w === 'age' || w === 'ages');
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const MONTHS = '(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*';
const DAY_MONTH_YEAR = new RegExp(`^\\d{1,2}[ -]${MONTHS}[ ,-]*\\d{2,4}$`, 'i');
const MONTH_DAY_YEAR = new RegExp(`^${MONTHS}\\.? \\d{1,2},? \\d{4}$`, 'i');

/**
 * Value rules: a cell matching `test` suggests `kind`. `strong` patterns (an SSN's ddd-dd-dddd, an email, an IP)
 * are specific; weak ones (a bare five-digit number as a ZIP code) only make a column possibly identifying.
 */
export const VALUE_RULES: ReadonlyArray<{
  readonly kind: SafeHarborKind;
  readonly what: string;
  readonly strong: boolean;
  readonly test: (cell: string) => boolean;
}> = [
  {
    kind: 'ssn',
    what: 'US Social Security numbers',
    strong: true,
    test: (c) => /^\d{3}-\d{2}-\d{4}$/.test(c),
  },
  {
    kind: 'email',
    what: 'email addresses',
    strong: true,
    test: (c) => /^[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}$/.test(c),
  },
  { kind: 'url', what: 'web URLs', strong: true, test: (c) => /^(https?:\/\/|www\.)\S+\.\S+$/i.test(c) },
  { kind: 'ip', what: 'IP addresses', strong: true, test: (c) => isIP(c) !== 0 },
  {
    kind: 'device',
    what: 'MAC addresses',
    strong: true,
    test: (c) => /^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/.test(c),
  },
  {
    kind: 'telephone',
    what: 'telephone or fax numbers',
    strong: true,
    test: (c) =>
      /^(\+?1[ .-]?)?(\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}$/.test(c) ||
      /^\+\d{1,3}[ .-]\d[\d .-]{6,14}\d$/.test(c),
  },
  {
    kind: 'account',
    what: 'payment card numbers (Luhn-valid)',
    strong: true,
    test: (c) => {
      if (!/^\d(?:[ -]?\d){12,18}$/.test(c)) return false;
      const digits = c.replace(/[ -]/g, '');
      return !/^(\d)\1+$/.test(digits) && luhn(digits);
    },
  },
  { kind: 'account', what: 'IBANs', strong: true, test: (c) => /^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(c) },
  {
    kind: 'vehicle',
    what: 'vehicle identification numbers',
    strong: true,
    test: (c) => /^[A-HJ-NPR-Z0-9]{17}$/.test(c) && /[A-Z]/.test(c) && /\d/.test(c),
  },
  {
    kind: 'geographic',
    what: 'US ZIP+4 codes',
    strong: true,
    test: (c) => /^\d{5}-\d{4}$/.test(c),
  },
  {
    kind: 'geographic',
    what: 'five-digit numbers (US ZIP codes?)',
    strong: false,
    test: (c) => /^\d{5}$/.test(c),
  },
  {
    kind: 'geographic',
    what: 'street addresses',
    strong: true,
    test: (c) =>
      /^\d{1,6}\s+[A-Za-z0-9 .'-]+\s(st|street|ave|avenue|rd|road|blvd|boulevard|ln|lane|dr|drive|way|ct|court|pl|place|terrace|hwy)\.?(\s|,|$)/i.test(
        c,
      ),
  },
  {
    kind: 'geographic',
    what: 'latitude/longitude pairs',
    strong: true,
    test: (c) => /^-?\d{1,2}\.\d{3,}\s*[,;]\s*-?\d{1,3}\.\d{3,}$/.test(c),
  },
  {
    kind: 'dates',
    what: 'calendar dates (day or month, not only a year)',
    strong: true,
    test: (c) =>
      /^\d{4}-\d{2}(-\d{2})?([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(c) ||
      /^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}$/.test(c) ||
      DAY_MONTH_YEAR.test(c) ||
      MONTH_DAY_YEAR.test(c),
  },
  {
    kind: 'names',
    what: "personal names ('Surname, Title. Given' or with a title)",
    strong: true,
    test: (c) =>
      /^[A-Z][A-Za-z'’ -]+,\s+(Mr|Mrs|Ms|Miss|Master|Dr|Rev|Mme|Mlle|Don|Dona|Sir|Lady|Col|Major|Capt)\.?\s/.test(
        c,
      ) ||
      /^(Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s[A-Z][a-z]+/.test(c) ||
      /^[A-Z][a-z'’-]+,\s[A-Z][a-z'’-]+(\s[A-Z][a-z'’.-]*)*$/.test(c),
  },
  {
    kind: 'photo',
    what: 'image data or image file names',
    strong: true,
    test: (c) => /^data:image\//i.test(c) || /\.(jpe?g|png|gif|bmp|tiff?|heic|webp)$/i.test(c),
  },
  {
    kind: 'other-unique',
    what: 'UUIDs',
    strong: true,
    test: (c) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(c),
  },
];

/**
 * A cell's masked shape: digits become 'd', letters 'a', whitespace ' ', and the separators - @ . : / , ( ) + _
 * stay; anything else becomes '*'. Cut to 24 characters. It shows a format ('ddd-dd-dddd'), never a value.
 */
export function maskedShape(cell: string): string {
  let out = '';
  for (const ch of cell) {
    if (out.length >= 24) return `${out}…`;
    if (/\d/.test(ch)) out += 'd';
    else if (/\p{L}/u.test(ch)) out += 'a';
    else if (/\s/.test(ch)) out += ' ';
    else if ('-@.:/,()+_'.includes(ch)) out += ch;
    else out += '*';
  }
  return out;
}
