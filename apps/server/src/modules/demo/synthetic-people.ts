import { addDays, fromDayNumber, toDayNumber } from './calendar.ts';
import { compareText, padNumber, toCsv } from './csv.ts';
import {
  BUSINESS_STREET_TYPES,
  BUSINESS_STREETS,
  COMPANY_FORMS,
  COMPANY_STEMS,
  COMPANY_TRADES,
  DEPARTMENTS,
  FIRST_NAMES,
  HOME_STREET_TYPES,
  HOME_STREETS,
  LAST_NAMES,
  TOWNS,
} from './names.ts';
import { createRandom, type Random } from './random.ts';

/** Date the synthetic access listing was extracted, used as `as_of` of terminated-users-with-access. */
export const ACCESS_LISTING_DATE = '2024-12-31';
/** Days allowed between termination and removal of access, used as `grace_days` of the demo run. */
export const ACCESS_REMOVAL_GRACE_DAYS = 7;

const BASE_VENDOR_COUNT = 60;
const EMPLOYEE_COUNT = 220;
const FORMER_EMPLOYEE_COUNT = 30;

export interface Vendor {
  id: string;
  name: string;
  address: string;
  bankAccount: string;
}

export interface Employee {
  id: string;
  name: string;
  login: string;
  department: string;
  address: string;
  bankAccount: string;
  hireDate: string;
  terminationDate: string | null;
}

interface AccessRow {
  userId: string;
  employeeId: string;
  system: string;
  role: string;
  enabled: boolean;
  lastLogin: string | null;
}

export interface PeopleData {
  /** Vendors that ordinary payments and purchase orders use. The planted shell vendors are not among them. */
  vendors: Vendor[];
  /** Current employees, who hold the purchasing cards. */
  currentEmployees: Employee[];
  files: {
    vendorMaster: string;
    employeeMaster: string;
    hrTerminations: string;
    systemAccess: string;
    userRoles: string;
    sodMatrix: string;
  };
  planted: {
    vendorEmployeeMatches: number;
    terminatedUsersWithAccess: number;
    sodConflicts: number;
  };
}

/**
 * ERP role bundles of ordinary users. No bundle has both roles of a pair
 * in SOD_RULES, so every conflict in the listing is a planted one.
 */
const ROLE_BUNDLES: readonly (readonly string[])[] = [
  ['AP_CLERK', 'AP_INQUIRY'],
  ['VENDOR_MAINT', 'VENDOR_INQUIRY'],
  ['PO_CREATE', 'REQUISITIONER'],
  ['PO_APPROVE'],
  ['JE_POST', 'GL_INQUIRY'],
  ['JE_APPROVE', 'GL_INQUIRY'],
  ['PAYMENT_RELEASE', 'TREASURY_VIEW'],
  ['GL_INQUIRY'],
  ['REQUISITIONER'],
  ['USER_ADMIN'],
];

/** The conflict matrix. The last row repeats the first in another order and case, as real matrices do. */
const SOD_RULES: readonly (readonly [roleA: string, roleB: string, description: string])[] = [
  ['AP_CLERK', 'VENDOR_MAINT', 'Can create a vendor and enter invoices for it'],
  ['VENDOR_MAINT', 'PAYMENT_RELEASE', 'Can create a vendor and release payments to it'],
  ['AP_CLERK', 'PAYMENT_RELEASE', 'Can enter an invoice and release its payment'],
  ['PO_CREATE', 'PO_APPROVE', 'Can raise and approve the same purchase order'],
  ['JE_POST', 'JE_APPROVE', 'Can post and approve the same journal entry'],
  ['USER_ADMIN', 'JE_POST', 'Can grant access and post journal entries'],
  ['vendor_maint', 'AP_Clerk', 'Can create a vendor and enter invoices for it'],
];

/** ERP roles of the users planted with segregation-of-duties conflicts. */
const PLANTED_SOD_ROLES: readonly (readonly string[])[] = [
  ['AP_CLERK', 'AP_INQUIRY', 'VENDOR_MAINT'],
  ['PO_CREATE', 'REQUISITIONER', 'PO_APPROVE'],
  ['JE_POST', 'GL_INQUIRY', 'JE_APPROVE'],
  // Three conflicting pairs at once: AP_CLERK, VENDOR_MAINT and PAYMENT_RELEASE.
  ['PAYMENT_RELEASE', 'TREASURY_VIEW', 'VENDOR_MAINT', 'AP_CLERK'],
  ['USER_ADMIN', 'JE_POST'],
  // The template compares roles trimmed and ignoring case.
  ['PO_APPROVE', 'po_create'],
];

const SHELL_VENDOR_NAMES = [
  'Crescent Advisory LLC',
  'Bluebird Data Services',
  'Summit Ridge Consulting',
  'Kestrel Analytics Inc.',
  'Harper Lane Supplies',
  'Meridian Facility Partners',
] as const;

/** Count the pairs of SOD_RULES that a user holding `roles` has, compared trimmed and ignoring case. */
function countConflicts(roles: readonly string[]): number {
  const assignedRoles = new Set(roles.map((role) => role.trim().toLowerCase()));
  const pairs = new Set<string>();
  for (const [roleA, roleB] of SOD_RULES) {
    const [first, second] = [roleA.trim().toLowerCase(), roleB.trim().toLowerCase()].sort();
    if (
      first !== undefined &&
      second !== undefined &&
      assignedRoles.has(first) &&
      assignedRoles.has(second)
    ) {
      pairs.add(`${first}|${second}`);
    }
  }
  return pairs.size;
}

/** Spell an address the way a second clerk would: upper case, street words abbreviated, no commas. */
function reformatAddress(address: string): string {
  return address
    .replace(/\bStreet\b/g, 'St')
    .replace(/\bAvenue\b/g, 'Ave')
    .replace(/\bLane\b/g, 'Ln')
    .replace(/\bDrive\b/g, 'Dr')
    .replace(/\bRoad\b/g, 'Rd')
    .replace(/\bCourt\b/g, 'Ct')
    .replace(/\bApartment\b/g, 'Apt.')
    .replaceAll(',', '')
    .toUpperCase();
}

function uniqueNames(random: Random, count: number): [first: string, last: string][] {
  const pairs: [string, string][] = [];
  for (const first of FIRST_NAMES) for (const last of LAST_NAMES) pairs.push([first, last]);
  return random.shuffle(pairs).slice(0, count);
}

function homeAddress(random: Random, usedAddresses: Set<string>): string {
  for (;;) {
    const [town, state, zipPrefix] = random.pick(TOWNS);
    const street = `${random.int(2, 9800)} ${random.pick(HOME_STREETS)} ${random.pick(HOME_STREET_TYPES)}`;
    const apartment = random.chance(0.3) ? `, Apartment ${random.int(1, 40)}` : '';
    const address = `${street}${apartment}, ${town}, ${state} ${zipPrefix}${padNumber(random.int(1, 99), 2)}`;
    if (!usedAddresses.has(address)) {
      usedAddresses.add(address);
      return address;
    }
  }
}

function generateVendors(random: Random): Vendor[] {
  const names = random
    .shuffle(COMPANY_STEMS.flatMap((stem) => COMPANY_TRADES.map((trade) => `${stem} ${trade}`)))
    .slice(0, BASE_VENDOR_COUNT);
  return names.map((name, index) => {
    const [town, state, zipPrefix] = random.pick(TOWNS);
    const street = `${random.int(100, 9900)} ${random.pick(BUSINESS_STREETS)} ${random.pick(BUSINESS_STREET_TYPES)}`;
    return {
      id: `V${1001 + index}`,
      name: `${name} ${random.pick(COMPANY_FORMS)}`,
      // The suite number is the vendor's index, so no two vendor addresses are equal.
      address: `${street}, Suite ${100 + index}, ${town}, ${state} ${zipPrefix}${padNumber(random.int(1, 99), 2)}`,
      bankAccount: `XX${padNumber(11 + (index % 89), 2)} VEND 4410 ${padNumber(1000 + index * 7, 4)} ${padNumber(random.int(0, 99), 2)}`,
    };
  });
}

function generateEmployees(random: Random): Employee[] {
  const usedAddresses = new Set<string>();
  const usedLogins = new Set<string>();
  const names = uniqueNames(random, EMPLOYEE_COUNT);
  const former = new Set(random.shuffle([...names.keys()]).slice(0, FORMER_EMPLOYEE_COUNT));
  return names.map(([first, last], index) => {
    let login = `${first[0] ?? ''}${last}`.toLowerCase().replace(/[^a-z]/g, '');
    if (usedLogins.has(login)) login = `${login}${index}`;
    usedLogins.add(login);

    const leaves = former.has(index);
    const hireDay = random.int(
      toDayNumber('2012-01-02'),
      toDayNumber(leaves ? '2022-12-30' : '2024-06-28'),
    );
    // Leavers leave between 2023-01-01 and 2024-11-30, and the planted ones are picked among them.
    const terminationDate = leaves
      ? fromDayNumber(random.int(toDayNumber('2023-01-01'), toDayNumber('2024-11-30')))
      : null;
    return {
      id: `E${20001 + index}`,
      name: `${first} ${last}`,
      login,
      department: random.pick(DEPARTMENTS),
      address: homeAddress(random, usedAddresses),
      bankAccount: `XX${padNumber(21 + (index % 70), 2)} PAYR 7720 ${padNumber(100000 + index * 13, 6)}`,
      hireDate: fromDayNumber(hireDay),
      terminationDate,
    };
  });
}

function lastLoginBefore(random: Random, date: string, maxDaysBefore: number): string {
  return addDays(date, -random.int(0, maxDaysBefore));
}

/** Planted shell vendors that share an address or a bank account with an employee. */
function plantShellVendors(targets: readonly Employee[]): { vendors: Vendor[]; matches: number } {
  const shell = (index: number, address: string, bankAccount: string): Vendor => ({
    id: `V${1901 + index}`,
    name: SHELL_VENDOR_NAMES[index] ?? `Shell vendor ${index}`,
    address,
    bankAccount,
  });
  const ownAddress = (index: number) =>
    `${400 + index * 11} Gateway Parkway, Suite ${900 + index}, Springfield, IL 62701`;
  const ownBank = (index: number) => `XX98 VEND 9900 ${padNumber(7000 + index, 4)} 01`;
  const employee = (index: number) => {
    const target = targets[index];
    if (target === undefined) throw new Error(`no employee for shell vendor ${index}`);
    return target;
  };

  const vendors = [
    // Address matches, each spelled differently from the employee's record.
    shell(0, reformatAddress(employee(0).address), ownBank(0)),
    shell(1, employee(1).address.toLowerCase().replaceAll(',', ' ;'), ownBank(1)),
    shell(2, `  ${employee(2).address.replaceAll(', ', ' - ')}`, ownBank(2)),
    // Bank-account matches, without spaces and with dashes.
    shell(3, ownAddress(3), employee(3).bankAccount.replaceAll(' ', '').toLowerCase()),
    shell(4, ownAddress(4), employee(4).bankAccount.replaceAll(' ', '-')),
    // Address and bank account both: two result rows.
    shell(5, reformatAddress(employee(5).address), employee(5).bankAccount),
  ];
  return { vendors, matches: 7 };
}

/**
 * Generate the vendor master, the employee master, the HR termination
 * listing, the system access listing, the ERP user-role listing and the
 * SoD conflict matrix, with planted vendor-employee matches, leavers who
 * keep access and users with conflicting roles.
 */
export function generatePeople(seed: number): PeopleData {
  const random = createRandom(seed, 'people');
  const vendors = generateVendors(random);
  const employees = generateEmployees(random);
  const current = employees.filter((employee) => employee.terminationDate === null);
  const leavers = employees.filter((employee) => employee.terminationDate !== null);

  // Employees picked for a planted case are used for that case only.
  const reservedCurrent = random.shuffle(current).slice(0, 13);
  const shellTargets = reservedCurrent.slice(0, 6);
  const sodUsers = reservedCurrent.slice(6, 12);
  const rehired = reservedCurrent[12];
  const plantedLeavers = random.shuffle(leavers).slice(0, 6);
  const leaverWithinGrace = plantedLeavers[5];
  if (rehired === undefined || leaverWithinGrace === undefined) {
    throw new Error('too few employees for the planted access cases');
  }
  leaverWithinGrace.terminationDate = addDays(ACCESS_LISTING_DATE, -4);
  // The rehire's current employment starts after the earlier one ended (see the HR rows below).
  rehired.hireDate = '2020-02-03';

  const shell = plantShellVendors(shellTargets);

  const access: AccessRow[] = [];
  const erpRoles = new Map<string, readonly string[]>();
  sodUsers.forEach((user, index) => {
    erpRoles.set(user.id, PLANTED_SOD_ROLES[index] ?? []);
  });
  const plantedSod = PLANTED_SOD_ROLES.reduce((sum, roles) => sum + countConflicts(roles), 0);

  for (const employee of employees) {
    const roles = erpRoles.get(employee.id) ?? random.pick(ROLE_BUNDLES);
    const left = employee.terminationDate;
    const enabled = left === null;
    const lastLogin =
      left === null
        ? lastLoginBefore(random, ACCESS_LISTING_DATE, 45)
        : lastLoginBefore(random, left, 20);
    for (const role of roles) {
      access.push({
        userId: employee.login,
        employeeId: employee.id,
        system: 'ERP',
        role,
        enabled,
        lastLogin,
      });
    }
    if (random.chance(0.4)) {
      access.push({
        userId: employee.login,
        employeeId: employee.id,
        system: 'Expense system',
        role: random.chance(0.8) ? 'EMPLOYEE' : 'APPROVER',
        enabled,
        lastLogin: left === null ? lastLoginBefore(random, ACCESS_LISTING_DATE, 90) : null,
      });
    }
    if (employee.department === 'Human Resources') {
      access.push({
        userId: employee.login,
        employeeId: employee.id,
        system: 'Payroll',
        role: 'PAYROLL_VIEW',
        enabled,
        lastLogin,
      });
    }
    if (employee.department === 'Treasury') {
      access.push({
        userId: employee.login,
        employeeId: employee.id,
        system: 'Banking portal',
        role: 'PAYMENT_INITIATOR',
        enabled,
        lastLogin,
      });
    }
  }

  // Leavers whose access was never removed: six result rows from five people.
  const [leaverA, leaverB, leaverC, leaverD, leaverE] = plantedLeavers;
  if (!leaverA || !leaverB || !leaverC || !leaverD || !leaverE) {
    throw new Error('too few leavers for the planted access cases');
  }
  const keepAccess = (
    employee: Employee,
    system: string,
    role: string,
    lastLogin: string | null,
  ) => {
    access.push({
      userId: employee.login,
      employeeId: employee.id,
      system,
      role,
      enabled: true,
      lastLogin,
    });
  };
  const terminated = (employee: Employee) => employee.terminationDate ?? ACCESS_LISTING_DATE;
  // Signed in 20 days after leaving.
  keepAccess(leaverA, 'ERP Reporting', 'GL_INQUIRY', addDays(terminated(leaverA), 20));
  // Two roles on one account: one result row with access_rows 2.
  keepAccess(leaverB, 'Banking portal', 'PAYMENT_INITIATOR', addDays(terminated(leaverB), -3));
  keepAccess(leaverB, 'Banking portal', 'PAYMENT_APPROVER', addDays(terminated(leaverB), -3));
  keepAccess(leaverC, 'ERP Reporting', 'GL_INQUIRY', addDays(terminated(leaverC), -2));
  // Two systems: two result rows.
  keepAccess(leaverD, 'ERP Reporting', 'AP_INQUIRY', addDays(terminated(leaverD), -1));
  keepAccess(leaverD, 'Payroll', 'PAYROLL_VIEW', addDays(terminated(leaverD), -1));
  keepAccess(leaverE, 'Treasury workstation', 'TREASURY_VIEW', null);
  // Not reported: terminated four days before the listing date, within the grace period.
  keepAccess(
    leaverWithinGrace,
    'ERP Reporting',
    'GL_INQUIRY',
    addDays(terminated(leaverWithinGrace), -1),
  );
  // Not reported: an account without an owner.
  access.push({
    userId: 'svc_batch_erp',
    employeeId: '',
    system: 'ERP',
    role: 'BATCH_SCHEDULER',
    enabled: true,
    lastLogin: ACCESS_LISTING_DATE,
  });

  const hrRows = employees.map((employee) => [
    employee.id,
    employee.name,
    employee.department,
    employee.hireDate,
    employee.terminationDate ?? '',
    employee.terminationDate === null
      ? ''
      : random.pick(['Resignation', 'Retirement', 'Dismissal', 'End of contract']),
  ]);
  // Not reported: a rehire, whose earlier employment ended but whose current one has not.
  hrRows.push([
    rehired.id,
    rehired.name,
    rehired.department,
    '2016-03-07',
    '2019-05-31',
    'Resignation',
  ]);
  hrRows.sort((a, b) => compareText(`${a[0]}|${a[3]}`, `${b[0]}|${b[3]}`));

  const allVendors = [...vendors, ...shell.vendors];
  const userRoleRows = access
    .filter((row) => row.system === 'ERP' && row.enabled)
    .map((row) => [row.userId, row.role]);

  return {
    vendors,
    currentEmployees: current,
    files: {
      vendorMaster: toCsv(
        ['vendor_id', 'vendor_name', 'address', 'bank_account'],
        allVendors.map((vendor) => [vendor.id, vendor.name, vendor.address, vendor.bankAccount]),
      ),
      employeeMaster: toCsv(
        ['employee_id', 'full_name', 'department', 'home_address', 'bank_account', 'hire_date'],
        employees.map((employee) => [
          employee.id,
          employee.name,
          employee.department,
          employee.address,
          employee.bankAccount,
          employee.hireDate,
        ]),
      ),
      hrTerminations: toCsv(
        [
          'employee_id',
          'employee_name',
          'department',
          'hire_date',
          'termination_date',
          'termination_reason',
        ],
        hrRows,
      ),
      systemAccess: toCsv(
        ['user_id', 'employee_id', 'system', 'role', 'enabled', 'last_login'],
        access.map((row) => [
          row.userId,
          row.employeeId,
          row.system,
          row.role,
          String(row.enabled),
          row.lastLogin ?? '',
        ]),
      ),
      userRoles: toCsv(['user_id', 'role'], userRoleRows),
      sodMatrix: toCsv(
        ['role_a', 'role_b', 'description'],
        SOD_RULES.map(([roleA, roleB, description]) => [roleA, roleB, description]),
      ),
    },
    planted: {
      vendorEmployeeMatches: shell.matches,
      terminatedUsersWithAccess: 6,
      sodConflicts: plantedSod,
    },
  };
}
