import { addDays, businessDaysBetween, nextBusinessDay } from './calendar.ts';
import { formatCents, padNumber, toCsv } from './csv.ts';
import { createRandom, type Random } from './random.ts';
import type { Vendor } from './synthetic-people.ts';

const BASE_ORDER_COUNT = 150;
const CATALOG_SIZE = 40;

interface OrderLine {
  item: string;
  description: string;
  quantity: number;
  unitPriceCents: number;
}

interface Order {
  poNumber: string;
  vendor: Vendor;
  orderDate: string;
  lines: OrderLine[];
}

type Issue =
  | 'missing_receipt'
  | 'missing_invoice'
  | 'missing_purchase_order'
  | 'receipt_quantity_differs'
  | 'invoice_quantity_differs'
  | 'invoice_price_differs';

/** Two planted PO lines per issue of the three-way-match template. */
const PLANTED_ISSUES: readonly Issue[] = [
  'missing_receipt',
  'missing_invoice',
  'missing_purchase_order',
  'receipt_quantity_differs',
  'invoice_quantity_differs',
  'invoice_price_differs',
].flatMap((issue) => [issue, issue] as Issue[]);

const ITEM_WORDS = [
  'Toner cartridge',
  'Safety gloves',
  'Pallet wrap',
  'Label roll',
  'Cable kit',
  'Valve assembly',
  'Filter set',
  'Bearing pack',
] as const;

function catalog(random: Random) {
  return Array.from({ length: CATALOG_SIZE }, (_, index) => ({
    item: `SKU-${10001 + index * 17}`,
    description: `${ITEM_WORDS[index % ITEM_WORDS.length] ?? 'Item'} type ${String.fromCharCode(65 + (index % 26))}`,
    unitPriceCents: Math.round(10 ** (2.5 + 2 * random.next())),
  }));
}

/**
 * Generate purchase orders, goods receipts and vendor invoices. Ordinary
 * orders are received in full (sometimes in two deliveries) and invoiced
 * at the ordered quantity and price, so every line the three-way match
 * reports is a planted one.
 */
export function generatePurchasing(
  seed: number,
  vendors: readonly Vendor[],
): { orders: string; receipts: string; invoices: string; plantedIssues: number } {
  const random = createRandom(seed, 'purchasing');
  const items = catalog(random);
  const orderDays = businessDaysBetween('2024-01-02', '2024-10-31');
  const poNumber = (index: number) => `PO-2024-${padNumber(index + 1, 5)}`;

  const orders: Order[] = [];
  for (let index = 0; index < BASE_ORDER_COUNT; index++) {
    const lines = random
      .shuffle(items)
      .slice(0, random.int(1, 4))
      .map((item) => ({ ...item, quantity: random.int(1, 200) }));
    orders.push({
      poNumber: poNumber(index),
      vendor: random.pick(vendors),
      orderDate: random.pick(orderDays),
      lines,
    });
  }

  const orderRows: string[][] = [];
  const receiptRows: string[][] = [];
  const invoiceRows: string[][] = [];
  let receiptCount = 0;
  let invoiceCount = 0;
  const addOrder = (order: Order) => {
    order.lines.forEach((line, index) => {
      orderRows.push([
        order.poNumber,
        order.orderDate,
        order.vendor.id,
        String(index + 1),
        line.item,
        line.description,
        String(line.quantity),
        formatCents(line.unitPriceCents),
      ]);
    });
  };
  const addReceipt = (
    order: Order,
    lines: readonly (readonly [item: string, quantity: number])[],
    date: string,
  ) => {
    receiptCount++;
    const receiptNumber = `GR-2024-${padNumber(receiptCount, 5)}`;
    for (const [item, quantity] of lines)
      receiptRows.push([receiptNumber, date, order.poNumber, item, String(quantity)]);
  };
  const addInvoice = (
    order: Order,
    lines: readonly (readonly [item: string, quantity: number, unitPriceCents: number])[],
    date: string,
  ) => {
    invoiceCount++;
    const invoiceNumber = `VI-${padNumber(70000 + invoiceCount * 3, 6)}`;
    for (const [item, quantity, unitPriceCents] of lines) {
      invoiceRows.push([
        invoiceNumber,
        date,
        order.vendor.id,
        order.poNumber,
        item,
        String(quantity),
        formatCents(unitPriceCents),
      ]);
    }
  };
  const receivedAt = (order: Order) => nextBusinessDay(addDays(order.orderDate, random.int(3, 20)));
  const invoicedAt = (date: string) => nextBusinessDay(addDays(date, random.int(1, 15)));

  for (const order of orders) {
    addOrder(order);
    const receiptDate = receivedAt(order);
    const splitDelivery = random.chance(0.15) && order.lines.every((line) => line.quantity >= 2);
    if (splitDelivery) {
      const firstPart = order.lines.map(
        (line) => [line.item, Math.floor(line.quantity / 2)] as const,
      );
      addReceipt(order, firstPart, receiptDate);
      addReceipt(
        order,
        order.lines.map(
          (line, index) => [line.item, line.quantity - (firstPart[index]?.[1] ?? 0)] as const,
        ),
        addDays(receiptDate, 7),
      );
    } else {
      addReceipt(
        order,
        order.lines.map((line) => [line.item, line.quantity] as const),
        receiptDate,
      );
    }
    addInvoice(
      order,
      order.lines.map((line) => [line.item, line.quantity, line.unitPriceCents] as const),
      invoicedAt(receiptDate),
    );
  }

  // Planted orders of one line each, numbered after the ordinary ones.
  PLANTED_ISSUES.forEach((issue, index) => {
    const item = random.pick(items);
    const order: Order = {
      poNumber: poNumber(BASE_ORDER_COUNT + index),
      vendor: random.pick(vendors),
      orderDate: random.pick(orderDays),
      lines: [{ ...item, quantity: 10 }],
    };
    const receiptDate = receivedAt(order);
    const price = item.unitPriceCents;
    switch (issue) {
      case 'missing_receipt':
        addOrder(order);
        addInvoice(order, [[item.item, 10, price]], receiptDate);
        break;
      case 'missing_invoice':
        addOrder(order);
        addReceipt(order, [[item.item, 10]], receiptDate);
        break;
      case 'missing_purchase_order':
        // Received and invoiced against a PO number that was never issued.
        order.poNumber = poNumber(BASE_ORDER_COUNT + 500 + index);
        addReceipt(order, [[item.item, 10]], receiptDate);
        addInvoice(order, [[item.item, 10, price]], invoicedAt(receiptDate));
        break;
      case 'receipt_quantity_differs':
        addOrder(order);
        addReceipt(order, [[item.item, 8]], receiptDate);
        addInvoice(order, [[item.item, 8, price]], invoicedAt(receiptDate));
        break;
      case 'invoice_quantity_differs':
        addOrder(order);
        addReceipt(order, [[item.item, 10]], receiptDate);
        addInvoice(order, [[item.item, 12, price]], invoicedAt(receiptDate));
        break;
      case 'invoice_price_differs':
        addOrder(order);
        addReceipt(order, [[item.item, 10]], receiptDate);
        addInvoice(order, [[item.item, 10, price + 60]], invoicedAt(receiptDate));
        break;
    }
  });

  return {
    orders: toCsv(
      [
        'po_number',
        'po_date',
        'vendor_id',
        'line_number',
        'item',
        'item_description',
        'quantity',
        'unit_price',
      ],
      orderRows,
    ),
    receipts: toCsv(
      ['receipt_number', 'receipt_date', 'po_number', 'item', 'quantity'],
      receiptRows,
    ),
    invoices: toCsv(
      [
        'invoice_number',
        'invoice_date',
        'vendor_id',
        'po_number',
        'item',
        'quantity',
        'unit_price',
      ],
      invoiceRows,
    ),
    plantedIssues: PLANTED_ISSUES.length,
  };
}
