// The fictitious universe: companies per sector and the nouns headlines are made of. Any likeness of a name or
// symbol to a real company is accidental.
import type { Sector } from './config.ts';

export interface Company {
  ticker: string;
  name: string;
  sector: Sector;
}

const POOL: Record<Sector, [string, string][]> = {
  technology: [
    ['QNTX', 'Quantix Systems'],
    ['NMBC', 'Nimbus Cloudworks'],
    ['ARCS', 'Arcline Semiconductor'],
    ['HLSW', 'Helio Software'],
    ['VNTR', 'Vantor Networks'],
    ['CBLD', 'Cobalt Data'],
    ['ORBD', 'Orbis Devices'],
    ['LMRC', 'Lumora Circuits'],
  ],
  healthcare: [
    ['VRDT', 'Veridia Therapeutics'],
    ['CLYX', 'Calyx Biologics'],
    ['MRDH', 'Meridel Health'],
    ['SLVP', 'Solvane Pharma'],
    ['AURM', 'Auren Medical'],
    ['PLND', 'Pelion Diagnostics'],
    ['TSLB', 'Tessaly Bio'],
    ['CRVL', 'Corvane Labs'],
  ],
  energy: [
    ['RDMS', 'Redmesa Energy'],
    ['BRLP', 'Borealis Petroleum'],
    ['SNFP', 'Sunfield Power'],
    ['TDWL', 'Tidewell Oil'],
    ['GRBR', 'Granite Basin Resources'],
    ['HLVG', 'Halvard Gas'],
    ['OSTR', 'Ostrander Renewables'],
    ['KSTD', 'Kestrel Drilling'],
  ],
  financials: [
    ['HCBK', 'Harbor Crest Bank'],
    ['IRBC', 'Ironbridge Capital'],
    ['LKVF', 'Lakeview Financial'],
    ['SMTT', 'Summit Trust'],
    ['PNCI', 'Pinecrest Insurance'],
    ['ATMU', 'Atlas Mutual'],
    ['WXFB', 'Wexford Bancorp'],
    ['NGTP', 'Northgate Payments'],
  ],
  consumer: [
    ['BRMF', 'Bramble Foods'],
    ['KNLO', 'Kinlo Apparel'],
    ['MPRW', 'Maple & Rowe'],
    ['FZPT', 'Fizzpoint Beverages'],
    ['HMST', 'Homestead Retail'],
    ['VELM', 'Vela Motors'],
    ['CRVR', 'Cravo Restaurants'],
    ['JNPH', 'Juniper Home'],
  ],
  industrials: [
    ['STGI', 'Steelgate Industries'],
    ['ARVN', 'Aerovane Aviation'],
    ['TRKW', 'Trackwell Rail'],
    ['FRGL', 'Forgeline Machinery'],
    ['HXLG', 'Hexa Logistics'],
    ['RDGC', 'Ridgeway Construction'],
    ['TTNF', 'Titanfield Materials'],
    ['BWCH', 'Brightwater Chemicals'],
  ],
};

/** The k-th company of a sector (k < 8). */
export function companyAt(sector: Sector, k: number): Company {
  const [ticker, name] = POOL[sector][k];
  return { ticker, name, sector };
}

/** Every company of the universe (for corpus samples and deal counterparties). */
export const ALL_COMPANIES: Company[] = (Object.keys(POOL) as Sector[]).flatMap((s) =>
  POOL[s].map(([ticker, name]) => ({ ticker, name, sector: s })),
);

/** Sectors whose companies pay quarterly dividends. */
export const DIVIDEND_SECTORS: ReadonlySet<Sector> = new Set(['energy', 'financials', 'consumer', 'industrials']);

export const PRODUCTS: Record<Sector, string[]> = {
  technology: ['AI accelerator chip', 'cloud database', 'flagship smartphone', 'security suite', 'laptop line'],
  healthcare: ['cancer drug', 'diabetes treatment', 'diagnostic test', 'heart device', 'migraine therapy'],
  energy: ['solar farm', 'offshore platform', 'battery plant', 'hydrogen project', 'pipeline expansion'],
  financials: ['mobile banking app', 'rewards credit card', 'robo-advisor', 'small-business loan platform'],
  consumer: ['snack line', 'electric scooter', 'sneaker collection', 'energy drink', 'subscription service'],
  industrials: ['cargo drone', 'jet engine', 'freight platform', 'robotic welder', 'modular bridge system'],
};

export const ISSUES = [
  'data privacy',
  'patent infringement',
  'misleading disclosures',
  'product safety',
  'price fixing',
  'environmental violations',
  'overtime pay',
];

export const ANALYSTS = [
  'Halbrook Securities',
  'Mertz & Co',
  'Pemberton Research',
  'Calloway Partners',
  'Sandrow Capital Markets',
  'Ashby Brothers',
];

export const PRIVATE_EQUITY = ['Greyhaven Partners', 'Castlerock Equity', 'Bellmont Capital'];

export const CITIES = ['Denver', 'Columbus', 'Austin', 'Raleigh', 'Omaha', 'Tucson', 'Boise', 'Hartford'];

export const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
